add_library(amlz_warnings INTERFACE)
target_compile_options(amlz_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wno-unused-parameter>
  # Every switch over an enum (above all Op, the op table) must name every enumerator: a missing case is an error.
  $<$<COMPILE_LANGUAGE:CXX>:-Werror=switch>)
if(AMLZ_NATIVE)
  target_compile_options(amlz_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()
