#!/usr/bin/env python3
"""A small reverse proxy for the end-to-end tests (python3 standard library only).

    python3 tests/e2e/lib/proxy.py --upstream http://127.0.0.1:PORT [--tls CERT KEY]
                                   [--drop-request-header NAME]...

Listens on 127.0.0.1 on a free port and prints one line, "proxy listening on
http[s]://127.0.0.1:PORT", once it accepts connections. Every request is forwarded to the
upstream (Host rewritten to the upstream's, as a proxy_pass does) minus the hop-by-hop headers
and the --drop-request-header ones (a proxy that does not pass Range is a real cause of "200
where 206 is needed"); the answer comes back with all its end-to-end headers. Bodies are
streamed in 64 kB pieces both ways, connections are served concurrently (one thread each).
"""
import argparse
import http.client
import http.server
import ssl
import sys
import urllib.parse

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
              "te", "trailer", "transfer-encoding", "upgrade"}
CHUNK = 64 * 1024


def make_handler(upstream, dropped):
    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet: the tests read the upstream's access log
            pass

        def forward(self):
            drop = HOP_BY_HOP | dropped
            connection_tokens = {t.strip().lower() for t in self.headers.get("Connection", "").split(",")}
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port or 80, timeout=60)
            try:
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                conn.putheader("Host", upstream.netloc)
                for name, value in self.headers.items():
                    lower = name.lower()
                    if lower in drop or lower in connection_tokens or lower == "host":
                        continue
                    conn.putheader(name, value)
                length = int(self.headers.get("Content-Length") or 0)
                conn.endheaders()
                while length > 0:
                    piece = self.rfile.read(min(CHUNK, length))
                    if not piece:
                        break
                    conn.send(piece)
                    length -= len(piece)
                resp = conn.getresponse()
                self.send_response_only(resp.status, resp.reason)
                has_length = False
                for name, value in resp.getheaders():
                    if name.lower() in HOP_BY_HOP:
                        continue
                    has_length = has_length or name.lower() == "content-length"
                    self.send_header(name, value)
                bodyless = self.command == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200
                if not has_length and not bodyless:
                    # No length to frame the body with (upstream chunked or close-delimited): end
                    # it by closing, as HTTP/1.1 allows.
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if not bodyless:
                    while True:
                        piece = resp.read(CHUNK)
                        if not piece:
                            break
                        self.wfile.write(piece)
                self.wfile.flush()
            except (ConnectionError, OSError) as e:
                try:
                    self.send_error(502, f"upstream: {e}")
                except OSError:
                    pass
                self.close_connection = True
            finally:
                conn.close()

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_OPTIONS = do_PATCH = forward

    return Proxy


class Server(http.server.ThreadingHTTPServer):
    """One thread per connection; with TLS the handshake happens in that thread too, so a client
    that refuses the certificate (the doctor without --ca-file) stalls nobody else."""
    daemon_threads = True
    tls = None

    def finish_request(self, request, client_address):
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except OSError:  # ssl.SSLError included: the client refused our certificate
                return
        try:
            super().finish_request(request, client_address)
        finally:
            if self.tls is not None:
                request.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="http://HOST:PORT of the server under test")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve https with this PEM pair")
    parser.add_argument("--drop-request-header", action="append", default=[], metavar="NAME",
                        help="do not forward this request header (repeatable)")
    args = parser.parse_args()
    upstream = urllib.parse.urlsplit(args.upstream)
    if upstream.scheme != "http" or not upstream.hostname:
        parser.error("--upstream must be http://HOST:PORT")
    handler = make_handler(upstream, {name.lower() for name in args.drop_request_header})
    server = Server(("127.0.0.1", 0), handler)
    scheme = "http"
    if args.tls:
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(args.tls[0], args.tls[1])
        scheme = "https"
    print(f"proxy listening on {scheme}://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
