#include "mas/net/tls.hpp"

#include <algorithm>
#include <climits>
#include <utility>

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace mas::net {

namespace {

// -- error helpers ------------------------------------------------------------

/// Pops OpenSSL's whole error queue into one line ("; "-separated).
std::string drain_error_queue() {
  std::string result;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!result.empty())
      result += "; ";
    result += buf;
  }
  return result;
}

[[noreturn]] void throw_tls(const std::string& what) {
  auto detail = drain_error_queue();
  if (detail.empty())
    throw tls_error(what);
  throw tls_error(what + ": " + detail);
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1
         || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

/// Largest chunk handed to a single OpenSSL call taking an `int` length.
constexpr std::size_t max_chunk = INT_MAX / 2;

// -- context setup ------------------------------------------------------------

std::shared_ptr<SSL_CTX> new_ctx(const SSL_METHOD* method) {
  ERR_clear_error();
  auto raw = SSL_CTX_new(method);
  if (raw == nullptr)
    throw_tls("SSL_CTX_new failed");
  std::shared_ptr<SSL_CTX> ctx{raw, SSL_CTX_free};
  // aiomas pins PROTOCOL_TLSv1_2; we accept TLS 1.2 and 1.3 so that modern
  // peers get 1.3 while a pinned Python peer negotiates 1.2.
  if (SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION) != 1)
    throw_tls("cannot set the minimum protocol version");
  // TLS 1.2 suites as `set_ciphers('ECDH+AESGCM')`; TLS 1.3 suites stay at
  // OpenSSL's defaults (Python does the same).
  if (SSL_CTX_set_cipher_list(raw, "ECDH+AESGCM") != 1)
    throw_tls("cannot set the cipher list ECDH+AESGCM");
  // Python's defaults on every context, plus aiomas's OP_SINGLE_ECDH_USE
  // (a no-op since OpenSSL 1.1) and OP_NO_COMPRESSION.
  SSL_CTX_set_options(raw, SSL_OP_NO_COMPRESSION | SSL_OP_SINGLE_ECDH_USE
                             | SSL_OP_SINGLE_DH_USE);
  return ctx;
}

void load_chain(SSL_CTX* ctx, const ssl_certs& certs) {
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, certs.certfile.c_str()) != 1)
    throw_tls("cannot load the certificate chain " + certs.certfile);
  if (SSL_CTX_use_PrivateKey_file(ctx, certs.keyfile.c_str(), SSL_FILETYPE_PEM)
      != 1)
    throw_tls("cannot load the private key " + certs.keyfile);
  if (SSL_CTX_check_private_key(ctx) != 1)
    throw_tls("the private key " + certs.keyfile
              + " does not match the certificate " + certs.certfile);
}

void load_ca(SSL_CTX* ctx, const ssl_certs& certs) {
  ERR_clear_error();
  if (SSL_CTX_load_verify_locations(ctx, certs.cafile.c_str(), nullptr) != 1)
    throw_tls("cannot load the CA file " + certs.cafile);
}

const std::string empty_string;

} // namespace

// -- ssl_context --------------------------------------------------------------

ssl_context ssl_context::server(const ssl_certs& certs) {
  ssl_context result;
  result.ctx_ = new_ctx(TLS_server_method());
  result.server_ = true;
  auto ctx = result.ctx_.get();
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  load_chain(ctx, certs);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     nullptr);
  load_ca(ctx, certs);
  return result;
}

ssl_context ssl_context::client(const ssl_certs& certs) {
  ssl_context result;
  result.ctx_ = new_ctx(TLS_client_method());
  result.server_ = false;
  auto ctx = result.ctx_.get();
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  load_ca(ctx, certs);
  if (!certs.certfile.empty())
    load_chain(ctx, certs);
  return result;
}

// -- tls_session::impl --------------------------------------------------------

struct tls_session::impl {
  std::shared_ptr<SSL_CTX> ctx;
  SSL* ssl = nullptr;
  BIO* rbio = nullptr; // owned by ssl
  BIO* wbio = nullptr; // owned by ssl
  bool done = false;
  bool peer_closed = false;
  bool failed = false;
  std::string error;
  /// Plaintext written before the handshake completed.
  std::vector<std::uint8_t> pending;

  impl() = default;
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  ~impl() {
    if (ssl != nullptr)
      SSL_free(ssl);
  }

  /// Records a fatal error from an SSL_* call that returned `ret`.
  void fail(int ssl_err, const char* op) {
    failed = true;
    error = drain_error_queue();
    if (error.empty())
      error = std::string{op} + " failed (SSL_get_error "
              + std::to_string(ssl_err) + ")";
    auto verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      error += ": ";
      error += X509_verify_cert_error_string(verify);
    }
  }

  /// Advances the handshake; returns false on a fatal error.
  bool handshake() {
    if (done)
      return true;
    ERR_clear_error();
    auto ret = SSL_do_handshake(ssl);
    if (ret == 1) {
      done = true;
      return flush_pending();
    }
    auto err = SSL_get_error(ssl, ret);
    switch (err) {
      case SSL_ERROR_WANT_READ:
      case SSL_ERROR_WANT_WRITE:
        return true;
      case SSL_ERROR_ZERO_RETURN:
        peer_closed = true;
        failed = true;
        error = "connection closed by the peer during the TLS handshake";
        return false;
      default:
        fail(err, "SSL_do_handshake");
        return false;
    }
  }

  bool write_now(const std::uint8_t* data, std::size_t size) {
    while (size > 0) {
      auto n = std::min(size, max_chunk);
      ERR_clear_error();
      auto ret = SSL_write(ssl, data, static_cast<int>(n));
      if (ret <= 0) {
        fail(SSL_get_error(ssl, ret), "SSL_write");
        return false;
      }
      data += ret;
      size -= static_cast<std::size_t>(ret);
    }
    return true;
  }

  bool flush_pending() {
    if (pending.empty())
      return true;
    std::vector<std::uint8_t> buf;
    buf.swap(pending);
    return write_now(buf.data(), buf.size());
  }

  bool read_all(std::vector<std::uint8_t>& plaintext) {
    std::uint8_t buf[16384];
    for (;;) {
      ERR_clear_error();
      auto ret = SSL_read(ssl, buf, static_cast<int>(sizeof(buf)));
      if (ret > 0) {
        plaintext.insert(plaintext.end(), buf, buf + ret);
        continue;
      }
      auto err = SSL_get_error(ssl, ret);
      switch (err) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
          return true;
        case SSL_ERROR_ZERO_RETURN:
          peer_closed = true;
          return true;
        default:
          fail(err, "SSL_read");
          return false;
      }
    }
  }
};

// -- tls_session --------------------------------------------------------------

tls_session::tls_session(const ssl_context& ctx, const std::string& host_name)
  : impl_(std::make_unique<impl>()) {
  if (!ctx)
    throw tls_error("tls_session: empty ssl_context");
  auto& st = *impl_;
  ERR_clear_error();
  st.ssl = SSL_new(ctx.native());
  if (st.ssl == nullptr)
    throw_tls("SSL_new failed");
  st.rbio = BIO_new(BIO_s_mem());
  st.wbio = BIO_new(BIO_s_mem());
  if (st.rbio == nullptr || st.wbio == nullptr) {
    BIO_free(st.rbio);
    BIO_free(st.wbio);
    throw_tls("BIO_new failed");
  }
  SSL_set_bio(st.ssl, st.rbio, st.wbio);
  if (ctx.is_server()) {
    SSL_set_accept_state(st.ssl);
    return;
  }
  SSL_set_connect_state(st.ssl);
  // Like Python's check_hostname: the name must match the certificate, no
  // partial wildcards; IP literals are checked against IP SANs and never
  // sent as SNI.
  if (host_name.empty())
    throw tls_error("tls_session: clients need a host name to verify");
  if (is_ip_literal(host_name)) {
    auto param = SSL_get0_param(st.ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host_name.c_str()) != 1)
      throw_tls("cannot set the expected IP address " + host_name);
  } else {
    SSL_set_hostflags(st.ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(st.ssl, host_name.c_str()) != 1)
      throw_tls("cannot set the expected host name " + host_name);
    if (SSL_set_tlsext_host_name(st.ssl, host_name.c_str()) != 1)
      throw_tls("cannot set the SNI host name " + host_name);
  }
  // Produce the ClientHello right away; drain() picks it up.
  if (!st.handshake())
    throw tls_error("TLS handshake failed to start: " + st.error);
}

tls_session::tls_session(tls_session&&) noexcept = default;

tls_session& tls_session::operator=(tls_session&&) noexcept = default;

tls_session::~tls_session() = default;

bool tls_session::feed(const std::uint8_t* data, std::size_t size,
                       std::vector<std::uint8_t>& plaintext) {
  if (!impl_ || impl_->failed)
    return false;
  auto& st = *impl_;
  if (st.peer_closed)
    return true; // Anything after close_notify is ignored.
  while (size > 0) {
    auto n = std::min(size, max_chunk);
    ERR_clear_error();
    auto ret = BIO_write(st.rbio, data, static_cast<int>(n));
    if (ret <= 0) {
      st.failed = true;
      st.error = "BIO_write failed: " + drain_error_queue();
      return false;
    }
    data += ret;
    size -= static_cast<std::size_t>(ret);
  }
  if (!st.handshake())
    return false;
  if (!st.done)
    return true;
  return st.read_all(plaintext);
}

bool tls_session::write(const std::uint8_t* data, std::size_t size) {
  if (!impl_ || impl_->failed)
    return false;
  auto& st = *impl_;
  if (!st.done) {
    st.pending.insert(st.pending.end(), data, data + size);
    return true;
  }
  return st.write_now(data, size);
}

void tls_session::drain(std::vector<std::uint8_t>& out) {
  if (!impl_)
    return;
  auto& st = *impl_;
  for (;;) {
    auto pending = BIO_ctrl_pending(st.wbio);
    if (pending == 0)
      return;
    auto n = std::min(pending, max_chunk);
    auto old_size = out.size();
    out.resize(old_size + n);
    auto ret = BIO_read(st.wbio, out.data() + old_size, static_cast<int>(n));
    out.resize(old_size + static_cast<std::size_t>(std::max(ret, 0)));
    if (ret <= 0)
      return;
  }
}

void tls_session::shutdown() {
  if (!impl_ || impl_->failed || !impl_->done)
    return;
  auto& st = *impl_;
  if ((SSL_get_shutdown(st.ssl) & SSL_SENT_SHUTDOWN) != 0)
    return;
  ERR_clear_error();
  // Returns 0 (close_notify sent, the peer's not yet seen) or 1; errors
  // leave nothing useful to do here.
  SSL_shutdown(st.ssl);
  ERR_clear_error();
}

bool tls_session::handshake_done() const noexcept {
  return impl_ && impl_->done;
}

bool tls_session::closed_by_peer() const noexcept {
  return impl_ && impl_->peer_closed;
}

const std::string& tls_session::error() const noexcept {
  return impl_ ? impl_->error : empty_string;
}

std::string tls_session::peer_subject() const {
  if (!impl_)
    return {};
  auto cert = SSL_get0_peer_certificate(impl_->ssl);
  if (cert == nullptr)
    return {};
  auto bio = BIO_new(BIO_s_mem());
  if (bio == nullptr)
    return {};
  std::string result;
  if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253)
      >= 0) {
    char* data = nullptr;
    auto len = BIO_get_mem_data(bio, &data);
    if (len > 0 && data != nullptr)
      result.assign(data, static_cast<std::size_t>(len));
  }
  BIO_free(bio);
  return result;
}

std::string tls_session::protocol() const {
  if (!impl_ || !impl_->done)
    return {};
  return SSL_get_version(impl_->ssl);
}

} // namespace mas::net
