//! The one place that names what lives under a store's root (like uv's cache buckets). Every
//! other module asks [`super::Store`] for a path; none joins a name onto the root.

/// A folder (or a family of entries) directly under a store's root. README's "The store" table
/// lists each with its owner and invariant; a test keeps the two in step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// `<id>/`: one image, named by its id (32 hex digits): `image.toml`, the image file,
    /// `build.log`, `learned.jl` and `landed.json`. Whole or absent: it only appears by a
    /// rename ([`super::Store::land`]) and leaves by one ([`super::Store::remove`]).
    Images,
    /// `locks/<name>.lock`: an image id's lock (shared while running, exclusive while
    /// building, pulling or removing), a tools environment's, a background build's and an index
    /// entry's (`env-<key>.lock`, held while the entry is written). An
    /// exclusive holder records its pid and command line in the file.
    Locks,
    /// `envs/<key>.json`: the index of environments (which image each uses) and the stamp of
    /// what `run` last found fresh.
    Envs,
    /// `sideload/<id>/`: the side-loaded sources of image `<id>`, removed with it.
    Sideload,
    /// `tools/<name>/`: PackageCompiler's environment for one julia.
    Tools,
    /// `learn/<env key>/`: the compile traces of one environment.
    Learn,
    /// `logs/`: `<id>-failed.log` of failed builds, `background-<env key>.log` of background
    /// builds.
    Logs,
    /// `cache/`: facts probed from julia binaries.
    Cache,
    /// `current/<env key>-<image file>`: a link to the image an environment is registered
    /// to, replaced by one rename on every registration (build, pin, align, run), removed
    /// with its image and by gc when its environment is gone. Editors and tools given this
    /// path start the current image after a rebuild without being told again.
    Current,
    /// `.tmp-<id>-<random>/` (a build) and `.tmp-<id>-pull-<random>/` (a pull): where an
    /// image is made before it lands, under the id's exclusive lock.
    Tmp,
    /// `.trash-<id>-<pid>/`: an image set aside to be removed, under the id's exclusive lock.
    Trash,
}

impl Bucket {
    /// Every bucket.
    pub const ALL: [Bucket; 11] = [
        Bucket::Images,
        Bucket::Locks,
        Bucket::Envs,
        Bucket::Sideload,
        Bucket::Tools,
        Bucket::Learn,
        Bucket::Logs,
        Bucket::Cache,
        Bucket::Current,
        Bucket::Tmp,
        Bucket::Trash,
    ];

    /// The folder's name under the root, for the buckets that are one folder.
    pub fn dir_name(self) -> Option<&'static str> {
        match self {
            Bucket::Locks => Some("locks"),
            Bucket::Envs => Some("envs"),
            Bucket::Sideload => Some("sideload"),
            Bucket::Tools => Some("tools"),
            Bucket::Learn => Some("learn"),
            Bucket::Logs => Some("logs"),
            Bucket::Cache => Some("cache"),
            Bucket::Current => Some("current"),
            Bucket::Images | Bucket::Tmp | Bucket::Trash => None,
        }
    }

    /// How README's table spells the bucket's entries.
    pub fn pattern(self) -> &'static str {
        match self {
            Bucket::Images => "<id>/",
            Bucket::Locks => "locks/",
            Bucket::Envs => "envs/",
            Bucket::Sideload => "sideload/",
            Bucket::Tools => "tools/",
            Bucket::Learn => "learn/",
            Bucket::Logs => "logs/",
            Bucket::Cache => "cache/",
            Bucket::Current => "current/",
            Bucket::Tmp => ".tmp-<id>-",
            Bucket::Trash => ".trash-<id>-<pid>/",
        }
    }
}

/// A temporary directory at the root: what it is for, and the image id it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scratch {
    /// `.tmp-<id>-<random>`: a build's.
    Build(String),
    /// `.tmp-<id>-pull-<random>`: a pull's.
    Pull(String),
    /// `.trash-<id>-<pid>`: a removal's.
    Trash(String),
}

impl Scratch {
    /// What a directory name at the root is, if it is a temporary one of an image id.
    pub fn parse(name: &str) -> Option<Scratch> {
        if let Some(rest) = name.strip_prefix(".tmp-") {
            let (id, rest) = rest.split_once('-')?;
            if !super::is_image_id(id) {
                return None;
            }
            return Some(match rest.starts_with("pull-") {
                true => Scratch::Pull(id.into()),
                false => Scratch::Build(id.into()),
            });
        }
        let rest = name.strip_prefix(".trash-")?;
        let (id, _pid) = rest.split_once('-')?;
        super::is_image_id(id).then(|| Scratch::Trash(id.into()))
    }

    /// The image id.
    pub fn id(&self) -> &str {
        match self {
            Scratch::Build(id) | Scratch::Pull(id) | Scratch::Trash(id) => id,
        }
    }

    /// The prefix of a new temporary directory of this kind (`tempfile` adds the random part).
    pub(super) fn prefix(&self) -> String {
        match self {
            Scratch::Build(id) => format!(".tmp-{id}-"),
            Scratch::Pull(id) => format!(".tmp-{id}-pull-"),
            Scratch::Trash(id) => format!(".trash-{id}-{}", std::process::id()),
        }
    }

    /// Why `gc` removes it, in words.
    pub fn reason(&self) -> &'static str {
        match self {
            Scratch::Build(_) => "an abandoned build",
            Scratch::Pull(_) => "an interrupted pull",
            Scratch::Trash(_) => "the rest of an interrupted removal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn scratch_names_round_trip() {
        for s in [
            Scratch::Build(ID.into()),
            Scratch::Pull(ID.into()),
            Scratch::Trash(ID.into()),
        ] {
            let name = format!("{}AbC123", s.prefix());
            let name = match s {
                Scratch::Trash(_) => s.prefix(),
                _ => name,
            };
            assert_eq!(Scratch::parse(&name), Some(s.clone()), "{name}");
        }
        assert_eq!(Scratch::parse(".tmp-notanid-x"), None);
        assert_eq!(Scratch::parse("locks"), None);
        assert_eq!(Scratch::parse(".sysimg-tmp"), None);
    }

    /// README's "The store" table names every bucket.
    #[test]
    fn the_readme_table_names_every_bucket() {
        let readme = include_str!("../../../../README.md");
        let start = readme
            .find("| Path under the store |")
            .expect("README has the store table");
        let table: String = readme[start..]
            .lines()
            .take_while(|l| l.starts_with('|'))
            .collect::<Vec<_>>()
            .join("\n");
        for b in Bucket::ALL {
            assert!(
                table.contains(&format!("`{}", b.pattern())),
                "README's store table lacks {:?} ({})",
                b,
                b.pattern()
            );
        }
    }
}
