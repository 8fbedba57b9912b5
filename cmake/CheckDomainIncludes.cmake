# Fails when a file under domain/ includes infrastructure headers: the domain
# is pure logic and may use only the standard library, nlohmann/json and
# OpenSSL's pure encoders (<openssl/evp.h>, for base64).
# Usage: cmake -DDOMAIN_DIR=<dir> [-DSTAMP=<file>] -P CheckDomainIncludes.cmake
file(GLOB_RECURSE sources "${DOMAIN_DIR}/*.hpp" "${DOMAIN_DIR}/*.cpp" "${DOMAIN_DIR}/*.h")
set(forbidden "boost/|mosquitto|sqlite3|openssl/|spdlog/|CLI/|sys/socket|netinet/|arpa/|<thread>|<chrono>|<fstream>|<filesystem>|<random>|<mutex>")
set(violations "")
foreach(f IN LISTS sources)
  file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include")
  foreach(line IN LISTS lines)
    if(line MATCHES "${forbidden}" AND NOT line MATCHES "<openssl/evp\\.h>")
      string(APPEND violations "\n  ${f}: ${line}")
    endif()
  endforeach()
endforeach()
if(violations)
  message(FATAL_ERROR "domain/ must not include infrastructure headers (no I/O, clock or threads):${violations}")
endif()
if(STAMP)
  file(TOUCH "${STAMP}")
endif()
