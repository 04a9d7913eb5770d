# Warnings travel on an INTERFACE target linked PRIVATE to our own targets only.
add_library(s3cors_warnings INTERFACE)
add_library(s3cors::warnings ALIAS s3cors_warnings)
target_compile_options(s3cors_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough -Wformat=2)
if(S3CORS_WARNINGS_AS_ERRORS)
  target_compile_options(s3cors_warnings INTERFACE -Werror)
endif()
# GCC 12 reports -Wnull-dereference and -Wrestrict false positives from inlined libstdc++ and
# Boost.System code once the optimiser runs (std::vector::end, boost::system::result, and
# std::string assignment: GCC bug 105329); the Debug builds keep both warnings.
target_compile_options(s3cors_warnings INTERFACE
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<NOT:$<CONFIG:Debug>>>:-Wno-null-dereference -Wno-restrict>)
