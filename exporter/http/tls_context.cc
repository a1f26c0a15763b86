#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

namespace batchwatch::http {
namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CtxDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using Bio = std::unique_ptr<BIO, BioDeleter>;
using Cert = std::unique_ptr<X509, X509Deleter>;

// The most recent OpenSSL error as text; clears the queue so later checks start clean.
std::string OpenSslError() {
  unsigned long code = 0, last = 0;
  while ((code = ERR_get_error()) != 0) last = code;
  if (last == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(last, buf, sizeof buf);
  return buf;
}

Bio MemoryBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Never prompt on the terminal for a passphrase: encrypted keys are refused instead.
int NoPassphrase(char*, int, int, void*) { return -1; }

bool LoadChain(SSL_CTX* ctx, const TlsServerConfig& c, std::string* error) {
  Bio bio = MemoryBio(c.cert_pem);
  Cert leaf(PEM_read_bio_X509_AUX(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!leaf) {
    *error = c.cert_source + ": no PEM certificate found (" + OpenSslError() + ")";
    return false;
  }
  if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    *error = c.cert_source + ": certificate not usable: " + OpenSslError();
    return false;
  }
  SSL_CTX_clear_chain_certs(ctx);
  while (Cert intermediate{PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr)}) {
    if (SSL_CTX_add0_chain_cert(ctx, intermediate.get()) != 1) {
      *error = c.cert_source + ": intermediate certificate not usable: " + OpenSslError();
      return false;
    }
    (void)intermediate.release();  // owned by ctx now
  }
  ERR_clear_error();  // the loop ends on "no start line"
  return true;
}

bool LoadKey(SSL_CTX* ctx, const TlsServerConfig& c, std::string* error) {
  Bio bio = MemoryBio(c.key_pem);
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    *error = c.key_source + ": no unencrypted PEM private key found (" + OpenSslError() + ")";
    return false;
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    *error = c.key_source + ": private key does not match the certificate in " + c.cert_source +
             " (" + OpenSslError() + ")";
    return false;
  }
  return true;
}

bool LoadClientCa(SSL_CTX* ctx, const TlsServerConfig& c, std::string* error) {
  if (c.client_ca_source.empty()) return true;
  Bio bio = MemoryBio(c.client_ca_pem);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int count = 0;
  while (Cert ca{PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr)}) {
    if (X509_STORE_add_cert(store, ca.get()) != 1 || SSL_CTX_add_client_CA(ctx, ca.get()) != 1) {
      *error = c.client_ca_source + ": CA certificate not usable: " + OpenSslError();
      return false;
    }
    ++count;
  }
  ERR_clear_error();
  if (count == 0) {
    *error = c.client_ca_source + ": no PEM certificate found";
    return false;
  }
  return true;
}

int ProtocolVersion(TlsVersion v) {
  switch (v) {
    case TlsVersion::kTls10:
      return TLS1_VERSION;
    case TlsVersion::kTls11:
      return TLS1_1_VERSION;
    case TlsVersion::kTls12:
      return TLS1_2_VERSION;
    case TlsVersion::kTls13:
      return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

}  // namespace

bool ConfigureTlsContext(void* ssl_ctx, const TlsServerConfig& config, std::string* error) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  ERR_clear_error();
  if (!LoadChain(ctx, config, error) || !LoadKey(ctx, config, error) ||
      !LoadClientCa(ctx, config, error)) {
    return false;
  }
  int mode = SSL_VERIFY_NONE;
  if (config.client_auth == ClientAuth::kVerifyClientCertIfGiven) mode = SSL_VERIFY_PEER;
  if (config.client_auth == ClientAuth::kRequireAndVerifyClientCert) {
    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_CTX_set_verify(ctx, mode, nullptr);
  // Without a session id context, resuming a session of a verified client fails the handshake.
  static const unsigned char kSessionContext[] = "batchwatch";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);

  // civetweb sets SSL_OP_NO_* from its own ssl_protocol_version; the web config decides instead.
  SSL_CTX_clear_options(ctx, SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                                 SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3);
  if (SSL_CTX_set_min_proto_version(ctx, ProtocolVersion(config.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, ProtocolVersion(config.max_version)) != 1) {
    *error =
        "tls_server_config.min_version/max_version: not supported by OpenSSL: " + OpenSslError();
    return false;
  }
  if (config.prefer_server_cipher_suites) {
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  } else {
    SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  if (!config.curve_preferences.empty()) {
    std::string groups;
    for (const auto& g : config.curve_preferences) groups += (groups.empty() ? "" : ":") + g;
    if (SSL_CTX_set1_groups_list(ctx, groups.c_str()) != 1) {
      *error = "tls_server_config.curve_preferences: not supported by OpenSSL: " + OpenSslError();
      return false;
    }
  }
  return true;
}

bool CheckTlsConfig(const TlsServerConfig& config, std::string* error) {
  std::unique_ptr<SSL_CTX, CtxDeleter> ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    *error = "cannot create a TLS context: " + OpenSslError();
    return false;
  }
  return ConfigureTlsContext(ctx.get(), config, error);
}

}  // namespace batchwatch::http
