//! The image record: what every image holds and how it was made, kept beside the image as
//! `image.toml` and compiled into it as the `SysimageData` module (see [`crate::codegen`]).
//!
//! # The image id
//! The id is the first 32 hex digits of the SHA-256 of the canonical JSON of [`IdInputs`]:
//! the record schema, the Julia version and commit, the platform triplet, the CPU target, the
//! policy, the build machine's CPU name and features when the target uses `native`, every
//! baked package (UUID, name, version, tree hash, role, side-loaded UUID; sorted
//! by UUID), the SHA-256 of each precompile file (in order), and the build options
//! (`incremental`, `filter_stdlibs`, `sysimage_build_args`). Paths, times and the sysimg
//! version are not inputs, so the same inputs on any machine give the same id.

use std::path::Path;

use julia_env::ids::Uuid;
use julia_env::{Error, Location, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cpu::CpuFacts;
use crate::model::plan::{Plan, Role};
use crate::model::spec::Policy;

/// The record's schema version; bumped on any incompatible change.
pub const SCHEMA: u32 = 1;

/// The record file beside an image.
pub const RECORD_FILE: &str = "image.toml";

/// The Julia an image is built by and for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JuliaFacts {
    /// `VERSION`.
    pub version: String,
    /// `Base.GIT_VERSION_INFO.commit`.
    pub commit: String,
}

/// A baked package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPackage {
    /// Name.
    pub name: String,
    /// UUID.
    pub uuid: Uuid,
    /// Version, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Tree hash, if any (stdlibs and path packages have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree_hash: Option<String>,
    /// `public` or `internal`.
    pub role: Role,
    /// The UUID it is side-loaded under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sideload_uuid: Option<Uuid>,
    /// For a path-tracked (`dev`ed) package, the git tree hash of its source as it was
    /// baked: Pkg records none, and an edit must make the image stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_tree_hash: Option<String>,
}

/// An artifact a baked package uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordArtifact {
    /// The package whose Artifacts.toml names it.
    pub package: String,
    /// The artifact's name.
    pub name: String,
    /// Its tree hash (the directory under `artifacts/`).
    pub tree_hash: String,
    /// Downloaded at first use rather than at install.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lazy: bool,
}

/// A file that went into the build, by content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// Its path as given in the spec.
    pub path: String,
    /// Its SHA-256.
    pub sha256: String,
}

/// How the image was built.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildOptions {
    /// PackageCompiler's `incremental`.
    pub incremental: bool,
    /// PackageCompiler's `filter_stdlibs`.
    pub filter_stdlibs: bool,
    /// Extra arguments to the julia that compiles the image.
    #[serde(default)]
    pub sysimage_build_args: Vec<String>,
    /// `precompile_execution_file`s.
    #[serde(default)]
    pub precompile_execution_files: Vec<InputFile>,
    /// `precompile_statements_file`s.
    #[serde(default)]
    pub precompile_statements_files: Vec<InputFile>,
    /// The preference files beside the project (`LocalPreferences.toml`,
    /// `JuliaLocalPreferences.toml`), copied into the build.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferences: Vec<InputFile>,
    /// The statements learned from compile traces (`learned.jl` beside the image), when the
    /// environment has traces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned: Option<InputFile>,
    /// The PackageCompiler version that built the image (not an id input: it is known only
    /// once julia has installed it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packagecompiler: Option<String>,
    /// The PackageCompiler asked for (the spec's `packagecompiler` or
    /// `SYSIMG_PACKAGECOMPILER`: a version, or a checkout's path), an id input: another one
    /// makes another image. Absent when none was named (the newest is used), so other ids are
    /// unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packagecompiler_asked: Option<String>,
}

/// The environment an image was built from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceEnvironment {
    /// The SHA-256 of the Manifest.toml the plan was made from.
    pub manifest_sha256: String,
    /// Its `project_hash`, if it records one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_hash: Option<String>,
}

/// The image file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageFile {
    /// Its file name (beside `image.toml`).
    pub file: String,
    /// Its SHA-256 (empty until built).
    pub sha256: String,
}

impl ImageFile {
    /// Whether `file` is a plain file name, so that it names a file beside `image.toml` and
    /// nowhere else: a record can come from a registry, and `../x` would write outside the
    /// store when it is pulled.
    pub fn is_plain_name(&self) -> bool {
        !matches!(self.file.as_str(), "" | "." | "..") && !self.file.contains(['/', '\\', '\0'])
    }
}

/// Everything an image records about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The image id (see the module docs).
    pub id: String,
    /// When it was made (RFC 3339, UTC).
    pub created: String,
    /// The sysimg that made it.
    pub sysimg_version: String,
    /// The Julia it is for.
    pub julia: JuliaFacts,
    /// The platform triplet (`x86_64-linux-gnu`).
    pub platform: String,
    /// The CPU target it was compiled for.
    pub cpu_target: String,
    /// The build machine's CPU, when the target is `native` (the image needs its features).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_cpu: Option<CpuFacts>,
    /// The policy that chose its packages.
    pub policy: Policy,
    /// The environment it came from.
    pub source: SourceEnvironment,
    /// Build options.
    pub build: BuildOptions,
    /// The image file.
    pub image: ImageFile,
    /// Every baked package, sorted by name.
    pub packages: Vec<RecordPackage>,
    /// Artifacts the baked packages use.
    #[serde(default)]
    pub artifacts: Vec<RecordArtifact>,
}

/// A baked package as the image id sees it: UUID, name, version, tree hash, role, side-loaded
/// UUID.
type IdPackage<'a> = (
    &'a Uuid,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Role,
    Option<&'a Uuid>,
);

/// What the image id hashes, in its canonical form.
#[derive(Serialize)]
pub struct IdInputs<'a> {
    schema: u32,
    julia: &'a JuliaFacts,
    platform: &'a str,
    cpu_target: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    build_cpu: Option<&'a CpuFacts>,
    policy: Policy,
    packages: Vec<IdPackage<'a>>,
    precompile_execution_files: Vec<&'a str>,
    precompile_statements_files: Vec<&'a str>,
    incremental: bool,
    filter_stdlibs: bool,
    sysimage_build_args: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    preferences: Vec<&'a str>,
    /// `(UUID, source tree hash)` of path-tracked packages (absent when there are none, so
    /// other ids are unchanged).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    path_sources: Vec<(&'a Uuid, &'a str)>,
    /// The learned statements' SHA-256 (absent without, so other ids are unchanged).
    #[serde(skip_serializing_if = "Option::is_none")]
    learned: Option<&'a str>,
    /// The PackageCompiler asked for (absent when none was named).
    #[serde(skip_serializing_if = "Option::is_none")]
    packagecompiler: Option<&'a str>,
}

/// The inputs of a record that are not in the plan.
pub struct RecordInputs {
    /// The Julia.
    pub julia: JuliaFacts,
    /// The platform triplet.
    pub platform: String,
    /// The CPU target.
    pub cpu_target: String,
    /// The build machine's CPU (recorded only when the target uses `native`).
    pub build_cpu: Option<CpuFacts>,
    /// The source environment.
    pub source: SourceEnvironment,
    /// Build options.
    pub build: BuildOptions,
    /// The image file name.
    pub image_file: String,
}

/// What identifies a package in an image: UUID, name, version, tree hash, role.
pub type PackageIdentity<'a> = (Uuid, &'a str, Option<&'a str>, Option<&'a str>, Role);

impl RecordPackage {
    /// The packages a plan bakes, as a record lists them.
    pub fn baked_by(plan: &Plan) -> Vec<RecordPackage> {
        plan.baked()
            .map(|p| RecordPackage {
                name: p.name.clone(),
                uuid: p.uuid,
                version: p.version.clone(),
                tree_hash: p.tree_hash.clone(),
                role: p.role,
                sideload_uuid: p.sideload_uuid,
                source_tree_hash: None,
            })
            .collect()
    }

    /// What identifies the package in an image.
    pub fn identity(&self) -> PackageIdentity<'_> {
        (
            self.uuid,
            &self.name,
            self.version.as_deref(),
            self.tree_hash.as_deref(),
            self.role,
        )
    }
}

impl ImageRecord {
    /// The record of an image made from `plan` (its `image.sha256` is filled after the build).
    pub fn new(plan: &Plan, inputs: RecordInputs) -> ImageRecord {
        let packages = RecordPackage::baked_by(plan);
        let mut record = ImageRecord {
            schema: SCHEMA,
            id: String::new(),
            created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            sysimg_version: env!("CARGO_PKG_VERSION").to_string(),
            julia: inputs.julia,
            platform: inputs.platform,
            build_cpu: inputs.build_cpu.filter(|_| {
                crate::cpu::CpuTarget::parse(&inputs.cpu_target).is_ok_and(|t| t.uses_native())
            }),
            cpu_target: inputs.cpu_target,
            policy: plan.policy,
            source: inputs.source,
            build: inputs.build,
            image: ImageFile {
                file: inputs.image_file,
                sha256: String::new(),
            },
            packages,
            artifacts: Vec::new(),
        };
        record.id = record.compute_id();
        record
    }

    /// The canonical id inputs.
    pub fn id_inputs(&self) -> IdInputs<'_> {
        let mut packages: Vec<_> = self
            .packages
            .iter()
            .map(|p| {
                (
                    &p.uuid,
                    p.name.as_str(),
                    p.version.as_deref(),
                    p.tree_hash.as_deref(),
                    p.role,
                    p.sideload_uuid.as_ref(),
                )
            })
            .collect();
        packages.sort_by(|a, b| a.0.cmp(b.0));
        IdInputs {
            schema: self.schema,
            julia: &self.julia,
            platform: &self.platform,
            cpu_target: &self.cpu_target,
            build_cpu: self.build_cpu.as_ref(),
            policy: self.policy,
            packages,
            precompile_execution_files: self
                .build
                .precompile_execution_files
                .iter()
                .map(|f| f.sha256.as_str())
                .collect(),
            precompile_statements_files: self
                .build
                .precompile_statements_files
                .iter()
                .map(|f| f.sha256.as_str())
                .collect(),
            incremental: self.build.incremental,
            filter_stdlibs: self.build.filter_stdlibs,
            sysimage_build_args: &self.build.sysimage_build_args,
            preferences: self
                .build
                .preferences
                .iter()
                .map(|f| f.sha256.as_str())
                .collect(),
            learned: self.build.learned.as_ref().map(|f| f.sha256.as_str()),
            packagecompiler: self.build.packagecompiler_asked.as_deref(),
            path_sources: {
                let mut v: Vec<_> = self
                    .packages
                    .iter()
                    .filter_map(|p| Some((&p.uuid, p.source_tree_hash.as_deref()?)))
                    .collect();
                v.sort();
                v
            },
        }
    }

    /// The id these inputs give.
    pub fn compute_id(&self) -> String {
        let canonical = serde_json::to_string(&self.id_inputs()).unwrap_or_default();
        hex::encode(Sha256::digest(canonical.as_bytes()))[..32].to_string()
    }

    /// The record as `image.toml` text.
    pub fn to_toml(&self) -> String {
        let body = toml_edit::ser::to_string_pretty(self).unwrap_or_default();
        format!("# sysimg image record, schema {SCHEMA}. Written by sysimg; do not edit.\n{body}")
    }

    /// Parses `image.toml` text.
    pub fn parse(path: &Path, text: &str) -> Result<ImageRecord> {
        let record: ImageRecord = toml_edit::de::from_str(text).map_err(|e| {
            Error::invalid(
                Location::file(path),
                format!("not a valid image record: {}", e.message()),
            )
        })?;
        if !record.image.is_plain_name() {
            return Err(Error::invalid(
                Location::file(path),
                format!(
                    "not a valid image record: the image file {:?} is not a plain file name",
                    record.image.file
                ),
            ));
        }
        if record.schema != SCHEMA {
            return Err(Error::invalid(
                Location::file(path),
                format!(
                    "image record schema {} is not supported (this sysimg reads schema {SCHEMA})",
                    record.schema
                ),
            ));
        }
        Ok(record)
    }

    /// Reads `image.toml`.
    pub fn read(path: &Path) -> Result<ImageRecord> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        ImageRecord::parse(path, &text)
    }

    /// Whether any baked package is path-tracked: its source can change under the image
    /// without the Manifest changing.
    pub fn has_path_sources(&self) -> bool {
        self.packages.iter().any(|p| p.source_tree_hash.is_some())
    }

    /// The baked package with `uuid`.
    pub fn package(&self, uuid: &Uuid) -> Option<&RecordPackage> {
        self.packages.iter().find(|p| p.uuid == *uuid)
    }
}

/// What `ls` and `gc` show of an image: the record's header (everything before its package
/// list) and the number of packages it bakes. A real record is about 80 KB for 468 packages
/// and parsing it whole is most of what listing a store costs; the header is a few hundred
/// bytes.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RecordSummary {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The image id.
    pub id: String,
    /// When it was made (RFC 3339, UTC).
    pub created: String,
    /// The Julia it is for.
    pub julia: JuliaFacts,
    /// The platform triplet.
    pub platform: String,
    /// The policy that chose its packages.
    pub policy: Policy,
    /// The image file.
    pub image: ImageFile,
    /// How many packages it bakes.
    #[serde(skip)]
    pub packages: usize,
}

/// The line that starts each baked package in `image.toml` (the package list follows every
/// other field, as [`ImageRecord::to_toml`] writes it).
const PACKAGE_HEADER: &str = "[[packages]]";

impl RecordSummary {
    /// The summary of a whole record.
    pub fn of(record: &ImageRecord) -> RecordSummary {
        RecordSummary {
            schema: record.schema,
            id: record.id.clone(),
            created: record.created.clone(),
            julia: record.julia.clone(),
            platform: record.platform.clone(),
            policy: record.policy,
            image: record.image.clone(),
            packages: record.packages.len(),
        }
    }

    /// Reads the header of `image.toml` text and counts its packages. A record whose header
    /// does not read as one (damaged, or not written by sysimg) is parsed whole, so that it
    /// fails with [`ImageRecord::parse`]'s own error.
    pub fn parse(path: &Path, text: &str) -> Result<RecordSummary> {
        let marker = format!("\n{PACKAGE_HEADER}\n");
        let (head, list) = match text.find(&marker) {
            Some(at) => (&text[..at + 1], &text[at..]),
            None => (text, ""),
        };
        let header = toml_edit::de::from_str::<RecordSummary>(head)
            .ok()
            .filter(|h| h.schema == SCHEMA && h.image.is_plain_name());
        match header {
            Some(mut summary) => {
                // Artifacts, when there are any, follow the packages.
                let end = list.find("\n[[artifacts]]\n").unwrap_or(list.len());
                summary.packages = list[..end].matches(&marker).count();
                Ok(summary)
            }
            None => ImageRecord::parse(path, text).map(|r| RecordSummary::of(&r)),
        }
    }

    /// Reads the summary of `image.toml`.
    pub fn read(path: &Path) -> Result<RecordSummary> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        RecordSummary::parse(path, &text)
    }
}

/// The SHA-256 of a file, in hex.
pub fn file_sha256(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}
