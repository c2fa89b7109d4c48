//! One run of a rule: a fresh store under the limits, instantiate, call
//! `apply`, and say how it ended.

use super::limits::{
    Budget, MAX_INPUT_BYTES, MAX_MEMORY_BYTES, MAX_OUTPUT_BYTES, MAX_REASON_CHARS,
};
use super::wasi::{self, RuleWasi};
use crate::bindings::rule;
use std::time::{Duration, Instant};
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Engine, ResourceLimiter, Store, Trap, UpdateDeadline};
use wasmtime_wasi::{WasiCtxView, WasiView};

pub use rule::{Input as RuleInput, Output as RuleOutput};

/// How a rule run ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The tenant has no rule.
    NoRule,
    /// The rule answered (its price is checked by pricing).
    Applied(RuleOutput),
    /// The rule was stopped or declined. `kind` labels the metric (`trap`,
    /// `fuel`, `deadline`, `memory`, `declined`, `input`, `output`); the
    /// message is what the quote's `rule_error` says.
    Failed { kind: &'static str, message: String },
}

impl Outcome {
    fn failed(kind: &'static str, message: String) -> Outcome {
        Outcome::Failed { kind, message }
    }

    /// The metric label of this outcome.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::NoRule => "none",
            Outcome::Applied(_) => "applied",
            Outcome::Failed { kind, .. } => kind,
        }
    }
}

/// A run and what it left: the outcome, the rule's log (stdout and
/// stderr, capped), the fuel it used and the time it took.
#[derive(Debug, Clone)]
pub struct Ran {
    pub outcome: Outcome,
    pub log: String,
    pub fuel_used: u64,
    pub elapsed: Duration,
}

/// The data of a rule's store: its restricted WASI and whether it hit the
/// memory cap.
pub struct RuleState {
    memory_exceeded: bool,
    wasi: RuleWasi,
}

impl WasiView for RuleState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.wasi.view()
    }
}

impl ResourceLimiter for RuleState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > MAX_MEMORY_BYTES {
            self.memory_exceeded = true;
            wasmtime::bail!("the rule's memory cap is exceeded");
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 10_000)
    }
}

/// A tenant's rule, compiled and linked.
pub struct Rule {
    /// SHA-256 of the component, hex.
    pub digest: String,
    pre: InstancePre<RuleState>,
    indices: rule::GuestIndices,
}

impl Rule {
    /// Links a compiled rule; the error says why it is not a rule.
    pub fn new(
        engine: &Engine,
        linker: &Linker<RuleState>,
        component: &Component,
        digest: String,
    ) -> Result<Rule, String> {
        let imports: Vec<String> = component
            .component_type()
            .imports(engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let refused = wasi::refused(imports.iter().map(String::as_str));
        if !refused.is_empty() {
            return Err(format!(
                "a pricing rule may import only the deterministic part of WASI \
                 (wasi:io, wasi:cli, wasi:clocks, wasi:random, wasi:filesystem without \
                 files), and this component imports {}",
                refused.join(", ")
            ));
        }
        let pre = linker
            .instantiate_pre(component)
            .map_err(|e| format!("the component cannot be linked: {e}"))?;
        let indices = rule::GuestIndices::new(&pre).map_err(|e| {
            format!("the component does not export sluice:platform/rule@0.1.0 (apply): {e}")
        })?;
        Ok(Rule {
            digest,
            pre,
            indices,
        })
    }

    /// Instantiates the rule under the limits without calling it: a rule
    /// whose memory or start-up breaks them is refused at upload.
    pub async fn check_instantiates(&self, engine: &Engine, budget: Budget) -> Result<(), String> {
        let mut store = limited_store(engine, budget);
        match self.pre.instantiate_async(&mut store).await {
            Ok(_) => Ok(()),
            Err(error) => match failure(&store, error, budget) {
                Outcome::Failed { message, .. } => Err(message),
                _ => unreachable!("failure() always fails"),
            },
        }
    }

    /// Runs the rule on `input` in a fresh store under the limits.
    pub async fn run(&self, engine: &Engine, budget: Budget, input: &RuleInput) -> Ran {
        let started = Instant::now();
        let size = input_size(input);
        if size > MAX_INPUT_BYTES {
            return Ran {
                outcome: Outcome::failed(
                    "input",
                    format!(
                        "the rule's input is {size} bytes, over the {MAX_INPUT_BYTES}-byte limit"
                    ),
                ),
                log: String::new(),
                fuel_used: 0,
                elapsed: started.elapsed(),
            };
        }
        let mut store = limited_store(engine, budget);
        let call = async {
            let instance = self.pre.instantiate_async(&mut store).await?;
            let guest = self.indices.load(&mut store, &instance)?;
            guest.call_apply(&mut store, input).await
        };
        // The deadline interrupts running wasm; a rule waiting in a host
        // call (a sleep on the fixed clock) is cut off here instead.
        let answer = tokio::time::timeout(2 * budget.deadline, call)
            .await
            .unwrap_or_else(|_| Err(wasmtime::Error::from(Trap::Interrupt)));
        let outcome = match answer {
            Ok(Ok(output)) if output.reason.len() > MAX_OUTPUT_BYTES => Outcome::failed(
                "output",
                format!(
                    "the rule's output is {} bytes, over the {MAX_OUTPUT_BYTES}-byte limit",
                    output.reason.len()
                ),
            ),
            Ok(Ok(output)) => Outcome::Applied(RuleOutput {
                unit_price: output.unit_price,
                reason: cut(&output.reason),
            }),
            Ok(Err(message)) if message.len() > MAX_OUTPUT_BYTES => Outcome::failed(
                "output",
                format!("the rule's error is over the {MAX_OUTPUT_BYTES}-byte limit"),
            ),
            Ok(Err(message)) => {
                Outcome::failed("declined", format!("the rule declined: {}", cut(&message)))
            }
            Err(error) => failure(&store, error, budget),
        };
        Ran {
            outcome,
            log: store.data().wasi.log.text(),
            fuel_used: budget.fuel - store.get_fuel().unwrap_or(0),
            elapsed: started.elapsed(),
        }
    }
}

/// A store with the fuel, memory cap and deadline of one rule run. The
/// deadline is checked every engine tick; between ticks the rule yields so
/// other requests on the thread keep going.
fn limited_store(engine: &Engine, budget: Budget) -> Store<RuleState> {
    let state = RuleState {
        memory_exceeded: false,
        wasi: RuleWasi::new(),
    };
    let mut store = Store::new(engine, state);
    store.limiter(|state| state as &mut dyn ResourceLimiter);
    store
        .set_fuel(budget.fuel)
        .expect("the rule engine meters fuel");
    let started = Instant::now();
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        Ok(if started.elapsed() >= budget.deadline {
            UpdateDeadline::Interrupt
        } else {
            UpdateDeadline::Yield(1)
        })
    });
    store
}

/// Why a run failed, from the store's state and the error.
fn failure(store: &Store<RuleState>, error: wasmtime::Error, budget: Budget) -> Outcome {
    if store.data().memory_exceeded {
        return Outcome::failed(
            "memory",
            format!(
                "the rule exceeded its {} MiB memory cap",
                MAX_MEMORY_BYTES >> 20
            ),
        );
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Outcome::failed(
            "fuel",
            format!("the rule ran out of fuel ({} instructions)", budget.fuel),
        ),
        Some(Trap::Interrupt) => Outcome::failed(
            "deadline",
            format!(
                "the rule ran past its {} ms deadline",
                budget.deadline.as_millis()
            ),
        ),
        Some(trap) => Outcome::failed("trap", format!("the rule trapped: {trap}")),
        None => Outcome::failed(
            "trap",
            format!("the rule failed: {}", cut(&format!("{error:#}"))),
        ),
    }
}

/// The bytes a rule's input carries.
fn input_size(input: &RuleInput) -> usize {
    let attributes: usize = input.customer.iter().map(|(k, v)| k.len() + v.len()).sum();
    input.sku.len() + input.currency.len() + input.tenant.len() + attributes + 32
}

/// `text` cut to [`MAX_REASON_CHARS`] characters.
fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_REASON_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}
