//! Password hashing, opaque tokens and access tokens (JWT).

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use jsonwebtoken::{decode, encode, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Issuer and audience of Tribu's access tokens.
pub const JWT_ISSUER: &str = "tribu";
pub const JWT_AUDIENCE: &str = "tribu-api";
/// Clock skew tolerated on `exp` and `iat`.
pub const JWT_LEEWAY_SECS: u64 = 30;

fn argon2() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with argon2id. CPU-heavy: call off the async threads.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    rand::fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the same time as a real check, for unknown accounts, so response
/// times do not tell which emails are registered.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("dummy password for timing").unwrap_or_default());
    let _ = verify_password(hash, password);
}

/// A new random opaque token (256 bits, base64url), with an optional prefix.
pub fn random_token(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// SHA-256 of a token, in hex: what the database stores instead of the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The claims of an access token.
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The session (refresh token family) the token was issued for.
    pub sid: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signing and verification keys, with the one algorithm pinned (HS256).
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    // HMAC takes keys of any length, so this cannot fail.
    let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    m.update(message);
    m.finalize().into_bytes().to_vec()
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: i64,
    /// Key for the site's other MACs (CSRF tokens), derived from the secret
    /// so that one configured secret serves every instance.
    mac_key: Vec<u8>,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_secs: i64) -> Self {
        let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_issuer(&[JWT_ISSUER]);
        validation.set_audience(&[JWT_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = JWT_LEEWAY_SECS;
        validation.validate_exp = true;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs,
            mac_key: hmac_sha256(secret, b"tribu mac key"),
        }
    }

    /// HMAC-SHA256 of `message` for `purpose` under the site's secret, in hex.
    pub fn mac(&self, purpose: &str, message: &str) -> String {
        let key = hmac_sha256(&self.mac_key, purpose.as_bytes());
        hex::encode(hmac_sha256(&key, message.as_bytes()))
    }

    /// Issues an access token for a user's session; returns it and its lifetime.
    pub fn issue(&self, user_id: &str, session_id: &str) -> Result<(String, i64), String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            iss: JWT_ISSUER.into(),
            aud: JWT_AUDIENCE.into(),
            iat: now,
            exp: now + self.ttl_secs,
        };
        encode(
            &Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &self.encoding,
        )
        .map(|t| (t, self.ttl_secs))
        .map_err(|e| e.to_string())
    }

    /// Verifies signature, algorithm, `iss`, `aud`, `exp` and that `iat` is
    /// not in the future.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        let now = chrono::Utc::now().timestamp();
        if data.claims.iat > now + JWT_LEEWAY_SECS as i64 {
            return None;
        }
        Some(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip() {
        let h = hash_password("correct horse battery").unwrap_or_default();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse battery!"));
        assert!(!verify_password("garbage", "x"));
    }

    #[test]
    fn tokens_verify_and_reject_tampering() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef", 900);
        let (tok, ttl) = keys.issue("u1", "s1").unwrap_or_default();
        assert_eq!(ttl, 900);
        let c = keys.verify(&tok).map(|c| (c.sub, c.sid));
        assert_eq!(c, Some(("u1".into(), "s1".into())));
        let other = JwtKeys::new(b"another-secret-another-secret-xx", 900);
        assert!(other.verify(&tok).is_none());
    }

    #[test]
    fn token_hashes_are_hex_sha256() {
        assert_eq!(token_hash("abc").len(), 64);
        assert_ne!(random_token("x_"), random_token("x_"));
        assert!(random_token("tribu_sk_").starts_with("tribu_sk_"));
    }
}
