# `cmake --install` and the Debian package (cpack -G DEB in the build dir):
#   bin/          the programs
#   lib/offhub/   the broker plugin (the emulator looks for it in ../lib/offhub
#                 beside its own bin/, in the build tree and installed alike)
#   share/offhub/ the README and the door-lock scenario script
# The dashboard is compiled into offhub-emulator: there are no page files to install.
install(TARGETS offhub-emulator offhub offhub-fleet sim-device schedule-job-service RUNTIME DESTINATION bin)
install(TARGETS offhub_broker_plugin LIBRARY DESTINATION lib/offhub)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/offhub)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/door-lock.sh DESTINATION share/offhub)
install(FILES ${PROJECT_SOURCE_DIR}/scripts/lib/emulator.sh DESTINATION share/offhub/lib)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME offhub)
set(CPACK_PACKAGE_VENDOR offhub)
set(CPACK_PACKAGE_CONTACT "offhub maintainers <offhub@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Azure IoT Hub jobs, offline: a local IoT Hub emulator, a CLI and a device fleet")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # offhub_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# The runtime libraries from the binaries (dpkg-shlibdeps), and the broker the emulator runs.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "mosquitto (>= 2.0)")
set(CPACK_STRIP_FILES ON)
include(CPack)
