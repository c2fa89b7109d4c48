//! `sluice rule`: a tenant's toolbox for pricing rules. `new` writes a std
//! Rust rule project against the published WIT, `check` runs the upload
//! checks locally, `test` runs a rule on an input in the same sandbox, with
//! the same limits, as pricing does.

use crate::rules::{Outcome, RuleInput, RuleRegistry};
use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum RuleCommand {
    /// Write a new rule project (std Rust, wasm32-wasip2) in ./NAME.
    New {
        /// The project's name: lowercase letters, digits, '-' or '_'.
        name: String,
        /// The directory to create the project in (default: the current one).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Check a rule component as an upload would (size, imports, exports,
    /// start-up within the limits).
    Check {
        /// The component file.
        file: PathBuf,
    },
    /// Run a rule on an input in the sandbox and print its answer, the fuel
    /// it used, the time it took and its log.
    Test {
        /// The component file.
        file: PathBuf,
        /// The input, a JSON file: {"sku","qty","currency","base_unit_price",
        /// "unit_price"?,"tenant"?,"customer"?:{"tier":"gold"}}.
        #[arg(long)]
        input: PathBuf,
    },
}

/// The files of a new rule project: (path, contents with `{{name}}`).
const TEMPLATE: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("rules/template/Cargo.toml")),
    (
        "rust-toolchain.toml",
        include_str!("rules/template/rust-toolchain.toml"),
    ),
    ("src/lib.rs", include_str!("rules/template/src/lib.rs")),
    ("wit/rule.wit", include_str!("rules/template/wit/rule.wit")),
    ("quote.json", include_str!("rules/template/quote.json")),
    ("README.md", include_str!("rules/template/README.md")),
];

impl RuleCommand {
    pub async fn run(self) -> Result<()> {
        match self {
            RuleCommand::New { name, dir } => new(&name, &dir),
            RuleCommand::Check { file } => check(&file).await,
            RuleCommand::Test { file, input } => test(&file, &input).await,
        }
    }
}

fn new(name: &str, dir: &Path) -> Result<()> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid {
        bail!(
            "{name:?} cannot name a rule: use lowercase letters, digits, '-' or '_', starting with a letter"
        );
    }
    let root = dir.join(name);
    if root.exists() {
        bail!("{} exists already", root.display());
    }
    for (path, contents) in TEMPLATE {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("template files are in the project"))?;
        std::fs::write(&path, contents.replace("{{name}}", name))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let wasm = name.replace('-', "_");
    println!(
        "created {root}\n\n  cd {root}\n  cargo build --release --target wasm32-wasip2\n  \
         sluice rule check target/wasm32-wasip2/release/{wasm}.wasm\n  \
         sluice rule test target/wasm32-wasip2/release/{wasm}.wasm --input quote.json",
        root = root.display()
    );
    Ok(())
}

/// A registry in memory with `file` as `tenant`'s rule, or why it was refused.
async fn load(file: &Path, tenant: &str) -> Result<RuleRegistry> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let registry = RuleRegistry::open(None).await?;
    if let Err(refused) = registry.put(tenant, bytes).await {
        bail!("{} would be refused at upload: {refused}", file.display());
    }
    Ok(registry)
}

async fn check(file: &Path) -> Result<()> {
    let registry = load(file, "check").await?;
    let digest = registry.digest("check").unwrap_or_default();
    println!(
        "{} is a pricing rule an upload accepts (sha256 {digest})",
        file.display()
    );
    Ok(())
}

/// The input file of `sluice rule test`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputFile {
    sku: String,
    qty: u32,
    currency: String,
    base_unit_price: i64,
    unit_price: Option<i64>,
    tenant: Option<String>,
    #[serde(default)]
    customer: BTreeMap<String, String>,
}

async fn test(file: &Path, input: &Path) -> Result<()> {
    let text =
        std::fs::read_to_string(input).with_context(|| format!("reading {}", input.display()))?;
    let given: InputFile =
        serde_json::from_str(&text).with_context(|| format!("reading {}", input.display()))?;
    let tenant = given.tenant.unwrap_or_else(|| "test".into());
    let registry = load(file, &tenant).await?;
    let input = RuleInput {
        sku: given.sku,
        qty: given.qty,
        currency: given.currency,
        base_unit_price: given.base_unit_price,
        unit_price: given.unit_price.unwrap_or(given.base_unit_price),
        tenant,
        customer: given.customer.into_iter().collect(),
    };
    let ran = registry.run_traced(&input).await;
    let mut answer = serde_json::json!({
        "outcome": ran.outcome.label(),
        "fuel_used": ran.fuel_used,
        "micros": ran.elapsed.as_micros() as u64,
        "log": ran.log,
    });
    match &ran.outcome {
        Outcome::Applied(output) => {
            answer["unit_price"] = output.unit_price.into();
            answer["reason"] = output.reason.clone().into();
        }
        Outcome::Failed { message, .. } => answer["error"] = message.clone().into(),
        Outcome::NoRule => {}
    }
    println!("{}", serde_json::to_string_pretty(&answer)?);
    match ran.outcome {
        Outcome::Applied(_) => Ok(()),
        _ => bail!("the rule gave no price"),
    }
}
