//! Attachment bytes, addressed by their SHA-256, in an object store: a folder
//! under the data directory by default, or an S3-compatible bucket.

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};

use crate::config::{AttachmentStore, Config};
use crate::error::{AppError, AppResult};

/// The configured store.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blobs({})", self.store)
    }
}

/// `ab/abcdef…`: two levels keep folders small.
fn key(sha256: &str) -> Path {
    let prefix: String = sha256.chars().take(2).collect();
    Path::from(format!("{prefix}/{sha256}"))
}

impl Blobs {
    /// Opens the store the configuration names.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let store: Arc<dyn ObjectStore> = match config.attachment_store {
            AttachmentStore::File => {
                let dir = config.data_dir.join("attachments");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Arc::new(LocalFileSystem::new_with_prefix(&dir).map_err(|e| e.to_string())?)
            }
            AttachmentStore::S3 => {
                let bucket = config
                    .s3_bucket
                    .as_deref()
                    .ok_or("attachment_store = s3 needs TRIBU_S3_BUCKET")?;
                let mut b = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(&config.s3_region);
                if let Some(e) = &config.s3_endpoint {
                    b = b
                        .with_endpoint(e)
                        .with_allow_http(e.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                if let Some(k) = &config.s3_access_key_id {
                    b = b.with_access_key_id(k.expose());
                }
                if let Some(s) = &config.s3_secret_access_key {
                    b = b.with_secret_access_key(s.expose());
                }
                Arc::new(b.build().map_err(|e| format!("S3 attachment store: {e}"))?)
            }
        };
        Ok(Blobs { store })
    }

    /// Stores bytes under their hash (the same content is stored once).
    pub async fn put(&self, sha256: &str, bytes: Vec<u8>) -> AppResult<()> {
        let k = key(sha256);
        if self.store.head(&k).await.is_ok() {
            return Ok(());
        }
        self.store
            .put(&k, PutPayload::from(bytes))
            .await
            .map_err(|e| AppError::Unavailable(format!("attachment store: {e}")))?;
        Ok(())
    }

    /// The bytes stored under a hash.
    pub async fn get(&self, sha256: &str) -> AppResult<Vec<u8>> {
        let r = self.store.get(&key(sha256)).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => {
                AppError::internal(format!("attachment {sha256} missing from the store"))
            }
            other => AppError::Unavailable(format!("attachment store: {other}")),
        })?;
        let bytes = r
            .bytes()
            .await
            .map_err(|e| AppError::Unavailable(format!("attachment store: {e}")))?;
        Ok(bytes.to_vec())
    }
}
