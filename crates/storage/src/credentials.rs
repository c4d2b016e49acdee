//! Where an S3 destination's credentials come from: a stored access key, or the AWS
//! default chain (environment, shared config and credentials files with their profiles,
//! SSO, credential_process, web identity, ECS and EC2 instance roles), which is what
//! the S3 page means by "use IAM roles instead of access keys".

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_credential_types::provider::{future, ProvideCredentials};
use aws_sdk_s3::config::{Credentials, Region};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

#[derive(Clone)]
pub enum S3Credentials {
    /// An access key id and its secret (spaces around them are ignored).
    Keys {
        access_key_id: String,
        secret_access_key: SecretString,
    },
    /// The AWS default credential chain, with this profile (default: `AWS_PROFILE`, else
    /// `default`).
    DefaultChain { profile: Option<String> },
}

impl S3Credentials {
    pub fn keys(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        S3Credentials::Keys {
            access_key_id: access_key_id.into(),
            secret_access_key: SecretString::from(secret_access_key.into()),
        }
    }

    /// The access key id, for messages and logs; never the secret.
    pub fn describe(&self) -> String {
        match self {
            S3Credentials::Keys { access_key_id, .. } => {
                format!("access key {}", access_key_id.trim())
            }
            S3Credentials::DefaultChain { profile: Some(p) } => {
                format!("the AWS default credential chain (profile {p})")
            }
            S3Credentials::DefaultChain { profile: None } => {
                "the AWS default credential chain".to_owned()
            }
        }
    }
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The default chain, built on first use: building it reads files and the environment
/// asynchronously, while a destination is made synchronously.
#[derive(Debug)]
pub(crate) struct LazyDefaultChain {
    region: String,
    profile: Option<String>,
    chain: OnceCell<DefaultCredentialsChain>,
}

impl LazyDefaultChain {
    pub(crate) fn new(region: String, profile: Option<String>) -> Self {
        Self {
            region,
            profile,
            chain: OnceCell::new(),
        }
    }
}

impl ProvideCredentials for LazyDefaultChain {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let chain = self
                .chain
                .get_or_init(|| async {
                    let mut builder =
                        DefaultCredentialsChain::builder().region(Region::new(self.region.clone()));
                    if let Some(profile) = &self.profile {
                        builder = builder.profile_name(profile);
                    }
                    builder.build().await
                })
                .await;
            chain.provide_credentials().await
        })
    }
}

/// Static credentials from a key pair.
pub(crate) fn static_keys(access_key_id: &str, secret: &SecretString) -> Credentials {
    Credentials::new(
        access_key_id.trim(),
        secret.expose_secret().trim(),
        None,
        None,
        "dbackup",
    )
}
