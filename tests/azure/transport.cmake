# Included from tests/CMakeLists.txt: the Azure MQTT device transport's tests.
offhub_add_test(NAME device_topics_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/device_topics_test.cpp
  LIBS offhub::device_transport)

offhub_add_test(NAME device_credentials_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/device_credentials_test.cpp
  LIBS offhub::device_transport)

offhub_add_test(NAME twin_requests_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/twin_requests_test.cpp
  LIBS offhub::device_transport)

offhub_add_test(NAME mqtt_device_transport_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/mqtt_device_transport_test.cpp
  LIBS offhub::device_transport offhub::azure offhub::emulator_app offhub::iothub)
add_dependencies(mqtt_device_transport_test offhub_broker_plugin)
target_compile_definitions(mqtt_device_transport_test PRIVATE
  OFFHUB_BROKER_PLUGIN="$<TARGET_FILE:offhub_broker_plugin>")
set_tests_properties(mqtt_device_transport_test PROPERTIES TIMEOUT 120 LABELS "integration")
