# Sanitizers travel on s3cors_options, linked PRIVATE to our own targets.
add_library(s3cors_options INTERFACE)
add_library(s3cors::options ALIAS s3cors_options)
if(S3CORS_SANITIZERS)
  if("thread" IN_LIST S3CORS_SANITIZERS AND "address" IN_LIST S3CORS_SANITIZERS)
    message(FATAL_ERROR "S3CORS_SANITIZERS: thread cannot be combined with address")
  endif()
  list(JOIN S3CORS_SANITIZERS "," s3cors_sanitizer_list)
  target_compile_options(s3cors_options INTERFACE -fsanitize=${s3cors_sanitizer_list} -fno-omit-frame-pointer
                                                  -fno-sanitize-recover=all)
  target_link_options(s3cors_options INTERFACE -fsanitize=${s3cors_sanitizer_list})
endif()
