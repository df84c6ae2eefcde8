add_library(amlz_warnings INTERFACE)
target_compile_options(amlz_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wno-unused-parameter>)
if(AMLZ_NATIVE)
  target_compile_options(amlz_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()
