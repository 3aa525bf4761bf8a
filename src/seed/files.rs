//! The files a demo challenge promises: made here, deterministically (the
//! same bytes, so the same SHA-256, every time), and attached through the
//! same flow as an organisation's upload.

use std::fmt::Write;

use crate::auth::principal::Principal;
use crate::challenges::service;
use crate::error::AppError;
use crate::state::AppState;

/// A small, fixed pseudo-random sequence (a linear congruential generator):
/// demo data that looks lived-in and never changes between runs.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// In `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const PUMPS: u64 = 400;
const WEEKS: u64 = 104;
const MODELS: [&str; 3] = ["India Mark II", "Afridev", "Nira AF-85"];
const CAUSES: [&str; 4] = [
    "worn cup seal",
    "broken rod",
    "cracked rising main",
    "unknown",
];

/// The handpump challenge's three tables: pumps, weekly stroke counts with
/// whether the pump failed within the next seven days, and the repair log.
fn handpump_files() -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = Lcg(2026);
    let mut pumps = String::from("pump_id,model,depth_m,installed\n");
    let mut strokes = String::from("pump_id,week_start,strokes,failed_within_7d\n");
    let mut repairs = String::from("pump_id,week_start,cause\n");
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    for p in 1..=PUMPS {
        let model = MODELS[rng.below(MODELS.len() as u64) as usize];
        let depth = 8 + rng.below(40);
        let installed = 2005 + rng.below(18);
        let _ = writeln!(pumps, "HP-{p:04},{model},{depth},{installed}");
        // Older, deeper pumps are used more and wear faster.
        let base = 1_500 + rng.below(3_000) + depth * 20;
        let mut wear = rng.below(60);
        for w in 0..WEEKS {
            let day = start + chrono::Duration::weeks(w as i64);
            wear += 1 + rng.below(3);
            let fails = wear > 80 + rng.below(40);
            let count = base + rng.below(900);
            let _ = writeln!(strokes, "HP-{p:04},{day},{count},{}", u8::from(fails));
            if fails {
                let cause = CAUSES[rng.below(CAUSES.len() as u64) as usize];
                let _ = writeln!(repairs, "HP-{p:04},{day},{cause}");
                wear = rng.below(20);
            }
        }
    }
    vec![
        ("pumps.csv", pumps.into_bytes()),
        ("pump_weekly_strokes.csv", strokes.into_bytes()),
        ("repair_log.csv", repairs.into_bytes()),
    ]
}

/// The files of the demo challenge `slug`, public to everyone.
fn files_of(slug: &str) -> Vec<(&'static str, Vec<u8>)> {
    match slug {
        "handpump-failure-prediction" => handpump_files(),
        _ => Vec::new(),
    }
}

/// Attaches the files `slug` promises, as its owner would.
pub(super) async fn attach(
    state: &AppState,
    owner: &Principal,
    slug: &str,
) -> Result<usize, AppError> {
    let files = files_of(slug);
    for (name, bytes) in &files {
        let max = service::resource_slot(state, owner, slug, false).await?;
        let chunks = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(
            bytes::Bytes::from(bytes.clone()),
        )]);
        let staged = state.blobs.stage(chunks, max).await?;
        service::add_resource(state, owner, slug, name, staged, true, false).await?;
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handpump_data_is_the_same_every_time_and_as_described() {
        let a = handpump_files();
        let b = handpump_files();
        assert_eq!(a, b);
        let strokes = String::from_utf8_lossy(&a[1].1).into_owned();
        assert_eq!(strokes.lines().count() as u64, PUMPS * WEEKS + 1);
        let repairs = String::from_utf8_lossy(&a[2].1).lines().count();
        assert!(
            repairs > PUMPS as usize,
            "pumps fail now and then: {repairs}"
        );
    }
}
