#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

// Keeps OpenSSL out of this header.
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace mas::net {

/// A TLS setup or handshake failure, with OpenSSL's error text.
class tls_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The three files of aiomas's `SSLCerts(cafile, certfile, keyfile)`.
struct ssl_certs {
  std::string cafile;
  std::string certfile;
  std::string keyfile;
};

/// A shared, immutable `SSL_CTX` for one side of a connection.
class ssl_context {
public:
  ssl_context() = default;

  /// Like aiomas's `make_ssl_server_context`: TLS 1.2 minimum, ECDH+AESGCM,
  /// our certificate chain, client certificates required and verified
  /// against `cafile`, no compression.
  /// @throws tls_error
  static ssl_context server(const ssl_certs& certs);

  /// Like aiomas's `make_ssl_client_context`: TLS 1.2 minimum, ECDH+AESGCM,
  /// the server certificate verified against `cafile` *and* its host name
  /// checked, our certificate chain for mutual authentication. An empty
  /// `certfile` presents no client certificate (not something aiomas can
  /// do; servers requiring one reject it).
  /// @throws tls_error
  static ssl_context client(const ssl_certs& certs);

  SSL_CTX* native() const noexcept {
    return ctx_.get();
  }

  bool is_server() const noexcept {
    return server_;
  }

  explicit operator bool() const noexcept {
    return ctx_ != nullptr;
  }

private:
  std::shared_ptr<SSL_CTX> ctx_;
  bool server_ = false;
};

/// aiomas's helper names.
inline ssl_context make_ssl_server_context(const std::string& cafile,
                                           const std::string& certfile,
                                           const std::string& keyfile) {
  return ssl_context::server({cafile, certfile, keyfile});
}

inline ssl_context make_ssl_client_context(const std::string& cafile,
                                           const std::string& certfile,
                                           const std::string& keyfile) {
  return ssl_context::client({cafile, certfile, keyfile});
}

/// One TLS session driven through OpenSSL memory BIOs. It owns no socket:
/// the caller moves ciphertext between the transport and the session, which
/// works the same on TCP, Unix sockets and in memory.
///
/// ~~~
/// session.feed(received, n, plaintext);   // ciphertext in, plaintext out
/// session.write(msg, len);                // plaintext in (buffered until
///                                         // the handshake is done)
/// session.drain(to_send);                 // ciphertext out, send it
/// ~~~
class tls_session {
public:
  /// @param host_name for clients: the name the server certificate must
  ///        match (DNS name or IP literal) and the SNI; ignored by servers.
  /// @throws tls_error
  tls_session(const ssl_context& ctx, const std::string& host_name);
  tls_session(tls_session&&) noexcept;
  tls_session& operator=(tls_session&&) noexcept;
  ~tls_session();

  /// Feeds ciphertext from the peer, advances the handshake, and appends
  /// decrypted application data to `plaintext`.
  /// @returns false on a fatal TLS error (see @ref error); the caller should
  ///          @ref drain (an alert may be pending) and close.
  bool feed(const std::uint8_t* data, std::size_t size,
            std::vector<std::uint8_t>& plaintext);

  /// Encrypts application data; held back until the handshake completes.
  /// @returns false on a fatal TLS error.
  bool write(const std::uint8_t* data, std::size_t size);

  /// Moves all pending ciphertext (handshake, records, alerts) to `out`.
  void drain(std::vector<std::uint8_t>& out);

  /// Queues a close_notify alert (drain afterwards).
  void shutdown();

  bool handshake_done() const noexcept;

  /// True once the peer sent close_notify.
  bool closed_by_peer() const noexcept;

  /// The reason of the last fatal error, e.g. a verification failure.
  const std::string& error() const noexcept;

  /// The peer certificate's subject (one line), or empty.
  std::string peer_subject() const;

  /// The negotiated protocol version, e.g. "TLSv1.2", or empty.
  std::string protocol() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace mas::net
