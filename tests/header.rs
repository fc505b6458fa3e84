//! The committed header `include/spladerunner.h` must be exactly what cbindgen generates from the sources now.
//! Regenerate it with `make header` (or `SPLADE_WRITE_HEADER=1 cargo test --test header`).

use std::path::Path;

#[test]
fn committed_header_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml is readable");
    let mut generated = Vec::new();
    cbindgen::generate_with_config(root, config)
        .expect("cbindgen can read the crate")
        .write(&mut generated);
    let path = root.join("include/spladerunner.h");
    if std::env::var_os("SPLADE_WRITE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("include/spladerunner.h is writable");
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/spladerunner.h is stale: run `make header` and commit the result"
    );
}
