//! Attachment bytes, addressed by their SHA-256, in an object store: a folder
//! under the data directory by default, or an S3-compatible bucket.

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, WriteMultipart};

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

    /// Streams an incoming file into a staging object, hashing and sniffing
    /// it on the way, and refuses (413) more than `max` bytes. Nothing is
    /// stored under its hash until [`Blobs::commit`]; on any error the
    /// staging object is gone.
    pub async fn stage<S, E>(&self, mut chunks: S, max: u64) -> AppResult<Staged>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        use futures_util::StreamExt;
        let key = Path::from(format!("{STAGING}/{}", uuid::Uuid::new_v4()));
        let upload = self
            .store
            .put_multipart(&key)
            .await
            .map_err(|e| AppError::Unavailable(format!("attachment store: {e}")))?;
        let mut w = WriteMultipart::new(upload);
        let mut sniff = Sniffer::default();
        let outcome: AppResult<()> = async {
            while let Some(chunk) = chunks.next().await {
                let chunk =
                    chunk.map_err(|e| AppError::bad_request("invalid_multipart", e.to_string()))?;
                if sniff.size + chunk.len() as u64 > max {
                    return Err(AppError::PayloadTooLarge);
                }
                sniff.feed(&chunk);
                w.wait_for_capacity(4)
                    .await
                    .map_err(|e| AppError::Unavailable(format!("attachment store: {e}")))?;
                w.write(&chunk);
            }
            Ok(())
        }
        .await;
        if let Err(e) = outcome {
            let _ = w.abort().await;
            return Err(e);
        }
        w.finish()
            .await
            .map_err(|e| AppError::Unavailable(format!("attachment store: {e}")))?;
        let (sha256, size, content_type) = sniff.finish();
        Ok(Staged {
            key,
            sha256,
            size,
            content_type,
        })
    }

    /// Makes a staged file the content stored under its hash. Called once
    /// the transaction that records it has committed; the same content is
    /// stored once.
    pub async fn commit(&self, staged: &Staged) -> AppResult<()> {
        let k = key(&staged.sha256);
        if self.store.head(&k).await.is_ok() {
            self.discard(staged).await;
            return Ok(());
        }
        let mut tries = 0;
        loop {
            match self.store.rename(&staged.key, &k).await {
                Ok(()) => return Ok(()),
                Err(e) if tries < 2 => {
                    tries += 1;
                    tracing::warn!(error = %e, "attachment commit failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(100 * tries)).await;
                }
                Err(e) => {
                    // The staged copy stays for an operator to move by hand.
                    tracing::error!(error = %e, staged = %staged.key, sha256 = %staged.sha256, "attachment recorded but not committed");
                    return Err(AppError::Unavailable(format!("attachment store: {e}")));
                }
            }
        }
    }

    /// Removes a staged file (its request failed).
    pub async fn discard(&self, staged: &Staged) {
        if let Err(e) = self.store.delete(&staged.key).await {
            tracing::warn!(error = %e, staged = %staged.key, "cannot remove a staged attachment");
        }
    }

    /// Removes staged files older than `age`: what a crash in the middle of
    /// an upload left behind.
    pub async fn sweep_staging(&self, age: std::time::Duration) -> usize {
        use futures_util::StreamExt;
        let cutoff = chrono::Utc::now() - chrono::Duration::from_std(age).unwrap_or_default();
        let prefix = Path::from(STAGING);
        let old: Vec<Path> = self
            .store
            .list(Some(&prefix))
            .filter_map(|m| async move { m.ok() })
            .filter(|m| std::future::ready(m.last_modified < cutoff))
            .map(|m| m.location)
            .collect()
            .await;
        let mut n = 0;
        for p in old {
            if self.store.delete(&p).await.is_ok() {
                n += 1;
            }
        }
        n
    }

    /// The bytes stored under a hash, whole (for tools and tests; downloads
    /// stream with [`Blobs::open`]).
    pub async fn get(&self, sha256: &str) -> AppResult<Vec<u8>> {
        use futures_util::TryStreamExt;
        let (size, stream) = self.open(sha256).await?;
        let mut out = Vec::with_capacity(size as usize);
        let chunks: Vec<bytes::Bytes> = stream.try_collect().await?;
        for c in chunks {
            out.extend_from_slice(&c);
        }
        Ok(out)
    }

    /// The size of the bytes stored under a hash, and a stream of them.
    pub async fn open(
        &self,
        sha256: &str,
    ) -> AppResult<(
        u64,
        futures_util::stream::BoxStream<'static, Result<bytes::Bytes, AppError>>,
    )> {
        use futures_util::StreamExt;
        let r = self.store.get(&key(sha256)).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => {
                AppError::internal(format!("attachment {sha256} missing from the store"))
            }
            other => AppError::Unavailable(format!("attachment store: {other}")),
        })?;
        let size = r.meta.size;
        let stream = r
            .into_stream()
            .map(|c| c.map_err(|e| AppError::Unavailable(format!("attachment store: {e}"))))
            .boxed();
        Ok((size, stream))
    }
}

/// Where uploads wait until the transaction that records them commits.
const STAGING: &str = "staging";

/// A file received but not yet stored under its hash.
#[derive(Debug)]
pub struct Staged {
    key: Path,
    pub sha256: String,
    pub size: u64,
    /// Decided from the bytes ([`crate::submissions::model::detect_type`]).
    pub content_type: String,
}

/// Hashes, counts and types a file as its chunks go by.
#[derive(Default)]
struct Sniffer {
    hash: sha2::Sha256,
    size: u64,
    types: crate::submissions::model::TypeSniffer,
}

impl Sniffer {
    fn feed(&mut self, chunk: &[u8]) {
        use sha2::Digest;
        self.hash.update(chunk);
        self.size += chunk.len() as u64;
        self.types.feed(chunk);
    }

    fn finish(self) -> (String, u64, String) {
        use sha2::Digest;
        (
            hex::encode(self.hash.finalize()),
            self.size,
            self.types.finish(),
        )
    }
}
