#pragma once
// One result type for the whole project: a value or an error, never an exception on the
// hot path. Callers name only s3cors::result.
#include <boost/system/result.hpp>

#include <system_error>

namespace s3cors {

template <class T, class E = std::error_code>
using result = boost::system::result<T, E>;

}  // namespace s3cors
