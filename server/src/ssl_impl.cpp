// Separate compilation of Asio's SSL support (BOOST_ASIO_SEPARATE_COMPILATION), in the client
// library only: the server and the healthcheck do not need libssl's symbols from here.
#include <boost/asio/ssl/impl/src.hpp>
