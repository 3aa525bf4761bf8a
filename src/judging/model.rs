//! The rules of judging, pure: who judges which entry (assignment), how a
//! scorecard becomes a score, how scores become a ranking (weighted means,
//! optional per-judge normalisation, ties), how much judges agree
//! (Krippendorff's alpha), neutral entry codes for blind rounds, and how a
//! ranking becomes prizes. No IO here; the formulas are also written out
//! for people on `/judging/method`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::FieldError;

// ---- rounds and their states ----

/// Where a judging round is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundState {
    /// Being prepared: rubric, panel, assignment.
    Draft,
    /// Judges score.
    Open,
    /// Scorecards are frozen; the leaderboard is final.
    Closed,
}

impl RoundState {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundState::Draft => "draft",
            RoundState::Open => "open",
            RoundState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(RoundState::Draft),
            "open" => Some(RoundState::Open),
            "closed" => Some(RoundState::Closed),
            _ => None,
        }
    }
}

// ---- rubric ----

/// One criterion of a round's rubric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Criterion {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Relative weight, greater than zero.
    pub weight: f64,
    /// Lowest score on the scale.
    pub scale_min: i32,
    /// Highest score on the scale (greater than `scale_min`).
    pub scale_max: i32,
    /// Whether the judge must explain the score.
    pub comment_required: bool,
}

/// Checks a rubric as an organisation writes it: at least one criterion,
/// names, weights above zero, scales of at least two points.
pub fn check_rubric(criteria: &[Criterion]) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if criteria.is_empty() {
        errors.push(FieldError::new(
            "criteria",
            "required",
            "A rubric needs at least one criterion.",
        ));
    }
    if criteria.len() > 20 {
        errors.push(FieldError::new(
            "criteria",
            "too_many",
            "A rubric has at most 20 criteria.",
        ));
    }
    for (i, c) in criteria.iter().enumerate() {
        let f = |name: &str| format!("criteria[{i}].{name}");
        let name_len = c.name.trim().chars().count();
        if !(1..=120).contains(&name_len) {
            errors.push(FieldError::new(
                &f("name"),
                "invalid",
                "Name each criterion (at most 120 characters).",
            ));
        }
        if c.description.chars().count() > 2_000 {
            errors.push(FieldError::new(
                &f("description"),
                "too_long",
                "At most 2,000 characters.",
            ));
        }
        if !(c.weight.is_finite() && c.weight > 0.0 && c.weight <= 1_000.0) {
            errors.push(FieldError::new(
                &f("weight"),
                "out_of_range",
                "A weight is greater than 0 (at most 1000).",
            ));
        }
        if c.scale_min < 0 || c.scale_max > 1_000 || c.scale_max <= c.scale_min {
            errors.push(FieldError::new(
                &f("scale_max"),
                "out_of_range",
                "A scale runs from a minimum (0 or more) to a larger maximum (at most 1000).",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Checks a judge's scores against the rubric: every criterion scored once,
/// within its scale, with a comment where one is required (on submission).
pub fn check_scores(
    criteria: &[Criterion],
    scores: &BTreeMap<String, i32>,
    comments: &BTreeMap<String, String>,
    submitting: bool,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    for id in scores.keys() {
        if !criteria.iter().any(|c| &c.id == id) {
            errors.push(FieldError::new(
                &format!("scores.{id}"),
                "unknown_criterion",
                "This criterion is not in the round's rubric.",
            ));
        }
    }
    for c in criteria {
        match scores.get(&c.id) {
            Some(s) if *s < c.scale_min || *s > c.scale_max => errors.push(FieldError::new(
                &format!("scores.{}", c.id),
                "out_of_scale",
                format!("Score {} from {} to {}.", c.name, c.scale_min, c.scale_max),
            )),
            None if submitting => errors.push(FieldError::new(
                &format!("scores.{}", c.id),
                "required",
                format!("Score {} before submitting.", c.name),
            )),
            _ => {}
        }
        let comment = comments.get(&c.id).map(|s| s.trim()).unwrap_or("");
        if submitting && c.comment_required && comment.is_empty() {
            errors.push(FieldError::new(
                &format!("comments.{}", c.id),
                "required",
                format!("Explain your score for {}.", c.name),
            ));
        }
        if comment.chars().count() > 5_000 {
            errors.push(FieldError::new(
                &format!("comments.{}", c.id),
                "too_long",
                "At most 5,000 characters.",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A scorecard as a number from 0 to 100: each criterion's score placed on
/// its scale (0 at the minimum, 1 at the maximum), weighted, averaged.
/// `None` when a criterion is unscored.
pub fn weighted_score(criteria: &[Criterion], scores: &BTreeMap<String, i32>) -> Option<f64> {
    let mut sum = 0.0;
    let mut weights = 0.0;
    for c in criteria {
        let s = *scores.get(&c.id)?;
        let span = f64::from(c.scale_max - c.scale_min);
        if span <= 0.0 {
            return None;
        }
        sum += c.weight * f64::from(s - c.scale_min) / span;
        weights += c.weight;
    }
    (weights > 0.0).then(|| 100.0 * sum / weights)
}

// ---- assignment ----

/// What assignment works from.
#[derive(Debug, Clone)]
pub struct AssignmentInput {
    /// Entries to judge (ids).
    pub entries: Vec<String>,
    /// Judges available (ids).
    pub judges: Vec<String>,
    /// `(judge, entry)` pairs that must never be assigned.
    pub conflicts: BTreeSet<(String, String)>,
    /// `(entry, judge)` pairs already made (by hand, or by an earlier run):
    /// they stay, count towards the entry's judges and the judge's load.
    pub fixed: BTreeSet<(String, String)>,
    /// Judges each entry should have.
    pub per_entry: usize,
    /// Makes the result reproducible: the same inputs and seed give the
    /// same pairs.
    pub seed: u64,
}

/// Why an entry has fewer judges than asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Shortfall {
    /// Fewer judges than asked are free of a conflict with it.
    TooFewUnconflictedJudges,
    /// Enough judges exist for it alone, but not for every entry at once.
    NotEnoughCapacity,
}

/// An entry that could not get `per_entry` judges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Short {
    pub entry: String,
    pub assigned: usize,
    pub wanted: usize,
    pub reason: Shortfall,
}

/// The outcome: `(entry, judge)` pairs, sorted, and the entries left short.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    pub pairs: Vec<(String, String)>,
    pub short: Vec<Short>,
}

impl Assignment {
    /// How many entries each judge has.
    pub fn loads(&self, judges: &[String]) -> BTreeMap<String, usize> {
        let mut m: BTreeMap<String, usize> = judges.iter().map(|j| (j.clone(), 0)).collect();
        for (_, j) in &self.pairs {
            *m.entry(j.clone()).or_default() += 1;
        }
        m
    }
}

/// SplitMix64: a tiny, fixed generator, so a stored seed reproduces the
/// same assignment whatever library versions come later.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Gives each entry `per_entry` distinct judges it has no conflict with,
/// spreading the work so the busiest and the least busy judge differ by at
/// most one whenever any assignment allows it, and as many pairs as any
/// assignment allows otherwise. Deterministic for the same input.
///
/// It is a flow problem: source → entry (capacity `per_entry`) → judge
/// (capacity 1, no edge for a conflict) → sink. The largest flow is the
/// most pairs possible; then the smallest upper bound on a judge's load that
/// still carries it, then the largest lower bound (a flow with lower bounds)
/// that still does: a spread of at most one whenever one exists.
pub fn assign(input: &AssignmentInput) -> Assignment {
    let mut entries: Vec<String> = input.entries.clone();
    entries.sort();
    entries.dedup();
    let mut judges: Vec<String> = input.judges.clone();
    judges.sort();
    judges.dedup();
    let mut rng = SplitMix64(input.seed);
    rng.shuffle(&mut entries);
    rng.shuffle(&mut judges);
    let k = input.per_entry;
    let (ne, nj) = (entries.len(), judges.len());
    let judge_index: HashMap<&str, usize> = judges
        .iter()
        .enumerate()
        .map(|(i, j)| (j.as_str(), i))
        .collect();
    // What is already there: per entry the judges it has, per judge the load.
    let mut fixed_of: Vec<Vec<usize>> = vec![Vec::new(); ne];
    let mut fixed_load = vec![0usize; nj];
    for (e, entry) in entries.iter().enumerate() {
        for (fe, fj) in &input.fixed {
            if fe == entry {
                if let Some(&j) = judge_index.get(fj.as_str()) {
                    fixed_of[e].push(j);
                    fixed_load[j] += 1;
                }
            }
        }
    }
    let need: Vec<usize> = fixed_of.iter().map(|f| k.saturating_sub(f.len())).collect();
    let eligible: Vec<Vec<usize>> = entries
        .iter()
        .enumerate()
        .map(|(e, entry)| {
            (0..nj)
                .filter(|&j| !fixed_of[e].contains(&j))
                .filter(|&j| {
                    !input
                        .conflicts
                        .contains(&(judges[j].clone(), entry.clone()))
                })
                .collect()
        })
        .collect();
    let chosen = if nj == 0 || need.iter().all(|n| *n == 0) {
        Vec::new()
    } else {
        let best = |lo: usize, hi: usize| -> Option<Vec<(usize, usize)>> {
            solve(&need, &eligible, &fixed_load, lo, hi)
        };
        let unbounded =
            best(0, ne + fixed_load.iter().max().copied().unwrap_or(0)).unwrap_or_default();
        let added = unbounded.len();
        let all = added + fixed_load.iter().sum::<usize>();
        let ceiling = ne + fixed_load.iter().max().copied().unwrap_or(0);
        // The smallest upper bound on a judge's load that keeps every pair.
        let mut hi = all
            .div_ceil(nj)
            .max(fixed_load.iter().max().copied().unwrap_or(0));
        let mut chosen = loop {
            match best(0, hi) {
                Some(p) if p.len() == added => break p,
                _ if hi >= ceiling => break unbounded.clone(),
                _ => hi += 1,
            }
        };
        // The largest lower bound that keeps every pair under it.
        let mut lo = (all / nj).min(hi);
        while lo > 0 {
            if let Some(p) = best(lo, hi).filter(|p| p.len() == added) {
                chosen = p;
                break;
            }
            lo -= 1;
        }
        chosen
    };
    let mut got: Vec<usize> = fixed_of.iter().map(Vec::len).collect();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (e, js) in fixed_of.iter().enumerate() {
        for &j in js {
            pairs.push((entries[e].clone(), judges[j].clone()));
        }
    }
    for &(e, j) in &chosen {
        got[e] += 1;
        pairs.push((entries[e].clone(), judges[j].clone()));
    }
    pairs.sort();
    let mut short: Vec<Short> = (0..ne)
        .filter(|&e| got[e] < k)
        .map(|e| Short {
            entry: entries[e].clone(),
            assigned: got[e],
            wanted: k,
            reason: if fixed_of[e].len() + eligible[e].len() < k {
                Shortfall::TooFewUnconflictedJudges
            } else {
                Shortfall::NotEnoughCapacity
            },
        })
        .collect();
    short.sort_by(|a, b| a.entry.cmp(&b.entry));
    Assignment { pairs, short }
}

/// The new pairs of the largest flow in which every judge ends with between
/// `lo` and `hi` entries (counting `fixed_load`); `None` when no flow meets
/// the lower bounds.
fn solve(
    need: &[usize],
    eligible: &[Vec<usize>],
    fixed_load: &[usize],
    lo: usize,
    hi: usize,
) -> Option<Vec<(usize, usize)>> {
    let (ne, nj) = (need.len(), fixed_load.len());
    if fixed_load.iter().any(|f| *f > hi) {
        return None;
    }
    // Nodes: 0 source, 1..=ne entries, then judges, then sink; for lower
    // bounds a super source and super sink (the usual transformation).
    let s = 0;
    let e0 = 1;
    let j0 = e0 + ne;
    let t = j0 + nj;
    let ss = t + 1;
    let tt = t + 2;
    let mut g = Dinic::new(t + 3);
    let mut pair_edges = Vec::new();
    for (e, js) in eligible.iter().enumerate() {
        if need[e] == 0 {
            continue;
        }
        g.add(s, e0 + e, need[e] as i64);
        for &j in js {
            let id = g.add(e0 + e, j0 + j, 1);
            pair_edges.push((id, e, j));
        }
    }
    let mut demand = 0i64;
    for (j, f) in fixed_load.iter().enumerate() {
        // New load of judge j within [lo - f, hi - f]: the part above the
        // lower bound on the edge, the lower bound through the super nodes.
        let low = lo.saturating_sub(*f);
        let up = hi - f;
        g.add(j0 + j, t, (up - low) as i64);
        if low > 0 {
            g.add(j0 + j, tt, low as i64);
            demand += low as i64;
        }
    }
    if demand > 0 {
        g.add(ss, t, demand);
        // Circulation: t → s unbounded; then the demands must be met.
        let back = g.add(t, s, i64::MAX / 4);
        if g.max_flow(ss, tt) < demand {
            return None;
        }
        // Then push what more the source can send, as a plain flow s → t;
        // the saturated lower-bound edges cannot be undone by it.
        g.remove(back);
    }
    g.max_flow(s, t);
    Some(
        pair_edges
            .into_iter()
            .filter(|(id, _, _)| g.flow_of(*id) > 0)
            .map(|(_, e, j)| (e, j))
            .collect(),
    )
}

/// Dinic's maximum flow on an adjacency list (edges stored in pairs, the
/// reverse edge at `id ^ 1`).
struct Dinic {
    to: Vec<usize>,
    cap: Vec<i64>,
    orig: Vec<i64>,
    head: Vec<Vec<usize>>,
    level: Vec<i32>,
    it: Vec<usize>,
}

impl Dinic {
    fn new(n: usize) -> Self {
        Dinic {
            to: Vec::new(),
            cap: Vec::new(),
            orig: Vec::new(),
            head: vec![Vec::new(); n],
            level: vec![0; n],
            it: vec![0; n],
        }
    }

    fn add(&mut self, u: usize, v: usize, c: i64) -> usize {
        let id = self.to.len();
        self.to.push(v);
        self.cap.push(c);
        self.orig.push(c);
        self.head[u].push(id);
        self.to.push(u);
        self.cap.push(0);
        self.orig.push(0);
        self.head[v].push(id + 1);
        id
    }

    /// Takes an edge out (its capacity and any flow on it).
    fn remove(&mut self, id: usize) {
        self.cap[id] = 0;
        self.cap[id ^ 1] = 0;
        self.orig[id] = 0;
    }

    fn flow_of(&self, id: usize) -> i64 {
        self.orig[id] - self.cap[id]
    }

    fn bfs(&mut self, s: usize, t: usize) -> bool {
        self.level.iter_mut().for_each(|l| *l = -1);
        self.level[s] = 0;
        let mut q = std::collections::VecDeque::from([s]);
        while let Some(u) = q.pop_front() {
            for &id in &self.head[u] {
                let v = self.to[id];
                if self.cap[id] > 0 && self.level[v] < 0 {
                    self.level[v] = self.level[u] + 1;
                    q.push_back(v);
                }
            }
        }
        self.level[t] >= 0
    }

    fn dfs(&mut self, u: usize, t: usize, f: i64) -> i64 {
        if u == t {
            return f;
        }
        while self.it[u] < self.head[u].len() {
            let id = self.head[u][self.it[u]];
            let v = self.to[id];
            if self.cap[id] > 0 && self.level[v] == self.level[u] + 1 {
                let d = self.dfs(v, t, f.min(self.cap[id]));
                if d > 0 {
                    self.cap[id] -= d;
                    self.cap[id ^ 1] += d;
                    return d;
                }
            }
            self.it[u] += 1;
        }
        0
    }

    fn max_flow(&mut self, s: usize, t: usize) -> i64 {
        let mut total = 0;
        while self.bfs(s, t) {
            self.it.iter_mut().for_each(|i| *i = 0);
            loop {
                let f = self.dfs(s, t, i64::MAX);
                if f == 0 {
                    break;
                }
                total += f;
            }
        }
        total
    }
}

// ---- aggregation ----

/// A submitted scorecard, reduced to what ranking needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub judge: String,
    pub entry: String,
    /// The weighted score, 0–100 ([`weighted_score`]).
    pub score: f64,
    /// Raw score per criterion id.
    pub criteria: BTreeMap<String, i32>,
}

/// An entry's place on the leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Standing {
    pub entry: String,
    /// 1 for the best; equal scores share the earlier final revision's rank
    /// order but never a rank.
    pub rank: usize,
    /// Mean of the judges' weighted scores, 0–100.
    pub raw: f64,
    /// Mean after per-judge normalisation (equal to `raw` when it is off).
    pub normalised: f64,
    /// Judges who scored it.
    pub judges: usize,
    /// Population standard deviation of its judges' scores (0–100 scale).
    pub spread: f64,
    /// Mean raw score per criterion id.
    pub criteria: BTreeMap<String, f64>,
}

/// Judges with fewer scored entries than this keep their raw scores when
/// normalisation is on: a mean and spread of one or two scores say nothing.
pub const MIN_CARDS_TO_NORMALISE: usize = 3;

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

fn sd(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64).sqrt()
}

/// Rounds to 4 decimals: results are shown and compared at that precision,
/// so the order of floating-point sums cannot change a ranking.
fn r4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Each judge's scores rescaled to z-scores against that judge's own mean
/// and spread, then back onto the panel's mean and spread: a lenient or
/// harsh judge no longer moves an entry by being lenient or harsh. Judges
/// with fewer than [`MIN_CARDS_TO_NORMALISE`] cards, or who gave every
/// entry the same score, are placed at the panel mean (z = 0) only in the
/// second case; the first keep their raw scores.
pub fn normalise(cards: &[Card]) -> Vec<f64> {
    let all: Vec<f64> = cards.iter().map(|c| c.score).collect();
    let (pm, psd) = (mean(&all), sd(&all));
    let mut by_judge: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for c in cards {
        by_judge.entry(&c.judge).or_default().push(c.score);
    }
    let stats: BTreeMap<&str, (usize, f64, f64)> = by_judge
        .iter()
        .map(|(j, xs)| (*j, (xs.len(), mean(xs), sd(xs))))
        .collect();
    cards
        .iter()
        .map(|c| match stats.get(c.judge.as_str()) {
            Some(&(n, m, s)) if n >= MIN_CARDS_TO_NORMALISE => {
                let z = if s > 1e-9 { (c.score - m) / s } else { 0.0 };
                pm + z * psd
            }
            _ => c.score,
        })
        .collect()
}

/// The leaderboard: per entry the mean of its judges' scores (normalised
/// when asked), ranked best first; equal scores rank the entry whose final
/// revision came first higher (then by id, so the order is total).
/// The result does not depend on the order of `cards`.
pub fn leaderboard(
    cards: &[Card],
    normalised: bool,
    final_revision_at: &HashMap<String, NaiveDateTime>,
) -> Vec<Standing> {
    let mut cards = cards.to_vec();
    cards.sort_by(|a, b| (&a.entry, &a.judge).cmp(&(&b.entry, &b.judge)));
    let norm = if normalised {
        normalise(&cards)
    } else {
        cards.iter().map(|c| c.score).collect()
    };
    let mut per_entry: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in cards.iter().enumerate() {
        per_entry.entry(&c.entry).or_default().push(i);
    }
    let mut rows: Vec<Standing> = per_entry
        .into_iter()
        .map(|(entry, idx)| {
            let raws: Vec<f64> = idx.iter().map(|&i| cards[i].score).collect();
            let norms: Vec<f64> = idx.iter().map(|&i| norm[i]).collect();
            let mut crit: BTreeMap<String, Vec<f64>> = BTreeMap::new();
            for &i in &idx {
                for (k, v) in &cards[i].criteria {
                    crit.entry(k.clone()).or_default().push(f64::from(*v));
                }
            }
            Standing {
                entry: entry.to_owned(),
                rank: 0,
                raw: r4(mean(&raws)),
                normalised: r4(mean(&norms)),
                judges: idx.len(),
                spread: r4(sd(&raws)),
                criteria: crit.into_iter().map(|(k, v)| (k, r4(mean(&v)))).collect(),
            }
        })
        .collect();
    let far = NaiveDateTime::MAX;
    rows.sort_by(|a, b| {
        let key = |s: &Standing| if normalised { s.normalised } else { s.raw };
        key(b)
            .total_cmp(&key(a))
            .then_with(|| {
                let ta = final_revision_at.get(&a.entry).unwrap_or(&far);
                let tb = final_revision_at.get(&b.entry).unwrap_or(&far);
                ta.cmp(tb)
            })
            .then_with(|| a.entry.cmp(&b.entry))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    rows
}

/// Krippendorff's alpha for interval data: 1 − observed disagreement /
/// expected disagreement, over the entries scored by at least two judges.
/// 1 is perfect agreement, 0 agreement no better than chance. `None` when
/// fewer than two entries have two scores, or every score is the same.
pub fn krippendorff_alpha(units: &[Vec<f64>]) -> Option<f64> {
    let pairable: Vec<&Vec<f64>> = units.iter().filter(|u| u.len() >= 2).collect();
    let n: usize = pairable.iter().map(|u| u.len()).sum();
    if pairable.len() < 2 || n < 2 {
        return None;
    }
    let mut d_o = 0.0;
    for u in &pairable {
        let m = u.len() as f64;
        let mut s = 0.0;
        for (i, a) in u.iter().enumerate() {
            for (j, b) in u.iter().enumerate() {
                if i != j {
                    s += (a - b) * (a - b);
                }
            }
        }
        d_o += s / (m - 1.0);
    }
    d_o /= n as f64;
    let values: Vec<f64> = pairable.iter().flat_map(|u| u.iter().copied()).collect();
    let mut d_e = 0.0;
    for (i, a) in values.iter().enumerate() {
        for (j, b) in values.iter().enumerate() {
            if i != j {
                d_e += (a - b) * (a - b);
            }
        }
    }
    d_e /= (n * (n - 1)) as f64;
    if d_e <= 1e-12 {
        return None;
    }
    Some(r4(1.0 - d_o / d_e))
}

/// How much the judges agree, in plain words (thresholds after
/// Krippendorff: 0.8 reliable, 0.667 tentative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    /// α ≥ 0.8
    Strong,
    /// 0.667 ≤ α < 0.8
    Fair,
    /// 0.4 ≤ α < 0.667
    Partial,
    /// α < 0.4
    Weak,
}

impl Agreement {
    pub fn of(alpha: f64) -> Self {
        if alpha >= 0.8 {
            Agreement::Strong
        } else if alpha >= 0.667 {
            Agreement::Fair
        } else if alpha >= 0.4 {
            Agreement::Partial
        } else {
            Agreement::Weak
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Agreement::Strong => "strong",
            Agreement::Fair => "fair",
            Agreement::Partial => "partial",
            Agreement::Weak => "weak",
        }
    }
}

// ---- blind rounds ----

/// Stable neutral codes for a round's entries (`E-001`, `E-002`, …): the
/// order comes from a hash of the round and the entry, so it says nothing
/// about who entered first, and it stays the same each time it is computed.
pub fn neutral_codes(round_id: &str, entries: &[String]) -> BTreeMap<String, String> {
    let mut keyed: Vec<(String, &String)> = entries
        .iter()
        .map(|e| {
            let h = Sha256::digest(format!("{round_id}/{e}").as_bytes());
            (hex::encode(h), e)
        })
        .collect();
    keyed.sort();
    let width = entries.len().to_string().len().max(3);
    keyed
        .into_iter()
        .enumerate()
        .map(|(i, (_, e))| (e.clone(), format!("E-{:0width$}", i + 1)))
        .collect()
}

/// A neutral name for an attachment in a blind round: `attachment-2.pdf`
/// (the extension kept when it is short and plain, so it still opens).
pub fn neutral_file_name(index: usize, original: &str) -> String {
    let ext = original
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| (1..=5).contains(&e.len()) && e.chars().all(|c| c.is_ascii_alphanumeric()));
    match ext {
        Some(e) => format!("attachment-{index}.{e}"),
        None => format!("attachment-{index}"),
    }
}

// ---- prizes ----

/// A prize tier (from the challenge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub rank: i32,
    pub amount: i64,
}

/// The organisation's decision for one tier: the entries that win it (one,
/// several tied entries sharing it, or none when it is withheld).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TierDecision {
    pub rank: i32,
    /// Entry ids; empty to withhold the tier.
    pub entries: Vec<String>,
}

/// What one entry receives from one tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Prize {
    pub tier_rank: i32,
    pub entry: String,
    pub amount: i64,
}

/// Checks the organisation's mapping of the ranking onto the tiers and
/// returns each winning entry's prize. A tier split between entries is
/// divided equally with the largest-remainder rule (the earlier-ranked entry
/// gets a leftover minor unit first). An entry wins at most one tier; every
/// tier is decided exactly once; only ranked entries win.
pub fn prizes(
    tiers: &[Tier],
    decisions: &[TierDecision],
    ranked: &[String],
) -> Result<Vec<Prize>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut seen_entries = BTreeSet::new();
    let mut seen_tiers = BTreeSet::new();
    let position: HashMap<&str, usize> = ranked
        .iter()
        .enumerate()
        .map(|(i, e)| (e.as_str(), i))
        .collect();
    let mut out = Vec::new();
    for (i, d) in decisions.iter().enumerate() {
        let Some(tier) = tiers.iter().find(|t| t.rank == d.rank) else {
            errors.push(FieldError::new(
                &format!("tiers[{i}].rank"),
                "unknown_tier",
                "No prize tier has this rank.",
            ));
            continue;
        };
        if !seen_tiers.insert(d.rank) {
            errors.push(FieldError::new(
                &format!("tiers[{i}].rank"),
                "duplicate_tier",
                "Each tier is decided once.",
            ));
            continue;
        }
        let mut winners: Vec<&String> = Vec::new();
        for e in &d.entries {
            if !position.contains_key(e.as_str()) {
                errors.push(FieldError::new(
                    &format!("tiers[{i}].entries"),
                    "not_ranked",
                    "Only entries on the final leaderboard can win.",
                ));
            } else if !seen_entries.insert(e.clone()) {
                errors.push(FieldError::new(
                    &format!("tiers[{i}].entries"),
                    "already_awarded",
                    "An entry wins at most one tier.",
                ));
            } else {
                winners.push(e);
            }
        }
        winners.sort_by_key(|e| position.get(e.as_str()).copied().unwrap_or(usize::MAX));
        let n = winners.len() as i64;
        if n == 0 {
            continue;
        }
        let base = tier.amount / n;
        let extra = tier.amount - base * n;
        for (j, e) in winners.into_iter().enumerate() {
            let amount = base + i64::from((j as i64) < extra);
            out.push(Prize {
                tier_rank: tier.rank,
                entry: e.clone(),
                amount,
            });
        }
    }
    for t in tiers {
        if !seen_tiers.contains(&t.rank) {
            errors.push(FieldError::new(
                "tiers",
                "tier_undecided",
                format!("Decide tier {}: award it or withhold it.", t.rank),
            ));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i:02}")).collect()
    }

    fn input(
        ne: usize,
        nj: usize,
        k: usize,
        conflicts: &[(usize, usize)],
        seed: u64,
    ) -> AssignmentInput {
        let (entries, judges) = (ids("e", ne), ids("j", nj));
        AssignmentInput {
            conflicts: conflicts
                .iter()
                .filter(|(j, e)| *j < nj && *e < ne)
                .map(|(j, e)| (judges[*j].clone(), entries[*e].clone()))
                .collect(),
            entries,
            judges,
            fixed: BTreeSet::new(),
            per_entry: k,
            seed,
        }
    }

    #[test]
    fn every_entry_gets_k_judges_and_work_is_spread() {
        let a = assign(&input(10, 4, 2, &[], 7));
        assert_eq!(a.pairs.len(), 20);
        assert!(a.short.is_empty());
        let loads = a.loads(&ids("j", 4));
        assert!(loads.values().all(|n| *n == 5), "{loads:?}");
    }

    #[test]
    fn existing_pairs_stay_and_count() {
        let mut inp = input(4, 2, 1, &[], 3);
        // Judge 0 already has two entries by hand.
        inp.fixed = [
            ("e00".to_string(), "j00".to_string()),
            ("e01".to_string(), "j00".to_string()),
        ]
        .into();
        let a = assign(&inp);
        assert!(a.pairs.contains(&("e00".into(), "j00".into())));
        assert!(a.pairs.contains(&("e01".into(), "j00".into())));
        let loads = a.loads(&inp.judges);
        assert_eq!(loads.get("j00"), Some(&2));
        assert_eq!(
            loads.get("j01"),
            Some(&2),
            "the rest goes to the other judge"
        );
        assert!(a.short.is_empty());
    }

    #[test]
    fn conflicts_are_never_assigned_and_shortfalls_say_why() {
        // Judge 0 and 1 conflict with entry 0; only two judges remain for it.
        let a = assign(&input(3, 3, 3, &[(0, 0), (1, 0)], 1));
        assert!(!a.pairs.contains(&("e00".into(), "j00".into())));
        assert_eq!(a.short.len(), 1);
        assert_eq!(a.short[0].entry, "e00");
        assert_eq!(a.short[0].assigned, 1);
        assert_eq!(a.short[0].reason, Shortfall::TooFewUnconflictedJudges);
    }

    #[test]
    fn scores_are_weighted_on_their_scales() {
        let c = |id: &str, w: f64, lo: i32, hi: i32| Criterion {
            id: id.into(),
            name: id.into(),
            description: String::new(),
            weight: w,
            scale_min: lo,
            scale_max: hi,
            comment_required: false,
        };
        let rubric = [c("a", 3.0, 1, 10), c("b", 1.0, 0, 4)];
        let s: BTreeMap<String, i32> = [("a".into(), 10), ("b".into(), 0)].into();
        assert_eq!(weighted_score(&rubric, &s), Some(75.0));
        let s: BTreeMap<String, i32> = [("a".into(), 10)].into();
        assert_eq!(weighted_score(&rubric, &s), None);
        let out: BTreeMap<String, i32> = [("a".into(), 11), ("b".into(), 2)].into();
        let errs = check_scores(&rubric, &out, &BTreeMap::new(), true)
            .err()
            .unwrap_or_default();
        assert_eq!(errs[0].code, "out_of_scale");
        assert!(check_rubric(&[c("x", 0.0, 1, 10)]).is_err());
        assert!(check_rubric(&[c("x", 1.0, 5, 5)]).is_err());
        assert!(check_rubric(&rubric).is_ok());
    }

    #[test]
    fn agreement_is_krippendorffs_alpha() {
        // Perfect agreement.
        let same = vec![vec![10.0, 10.0], vec![50.0, 50.0], vec![90.0, 90.0]];
        assert_eq!(krippendorff_alpha(&same), Some(1.0));
        // By hand: units (1,2) and (3,4); D_o = (2 + 2) / 4 = 1 (each unit's
        // ordered pairs, over m − 1 = 1, over n = 4 values); D_e = 40 / 12
        // (the 12 ordered pairs of all values); alpha = 1 − 1 / (40/12) = 0.7.
        let a = krippendorff_alpha(&[vec![1.0, 2.0], vec![3.0, 4.0]]);
        assert_eq!(a, Some(0.7));
        assert_eq!(krippendorff_alpha(&[vec![1.0, 2.0]]), None);
        assert_eq!(Agreement::of(0.85), Agreement::Strong);
        assert_eq!(Agreement::of(0.5), Agreement::Partial);
    }

    #[test]
    fn ties_go_to_the_earlier_final_revision() {
        let card = |j: &str, e: &str, s: f64| Card {
            judge: j.into(),
            entry: e.into(),
            score: s,
            criteria: BTreeMap::new(),
        };
        let t = |s: i64| {
            chrono::DateTime::from_timestamp(s, 0)
                .map(|d| d.naive_utc())
                .unwrap_or_default()
        };
        let when: HashMap<String, NaiveDateTime> =
            [("late".to_string(), t(200)), ("early".to_string(), t(100))].into();
        let board = leaderboard(
            &[card("j", "late", 80.0), card("j", "early", 80.0)],
            false,
            &when,
        );
        assert_eq!(board[0].entry, "early");
        assert_eq!((board[0].rank, board[1].rank), (1, 2));
    }

    #[test]
    fn neutral_codes_are_stable_and_say_nothing() {
        let entries = ids("e", 12);
        let a = neutral_codes("round-1", &entries);
        let mut rev = entries.clone();
        rev.reverse();
        assert_eq!(a, neutral_codes("round-1", &rev));
        let codes: BTreeSet<&String> = a.values().collect();
        assert_eq!(codes.len(), 12);
        assert!(a.values().all(|c| c.starts_with("E-0")));
        assert_ne!(a, neutral_codes("round-2", &entries));
        assert_eq!(
            neutral_file_name(1, "Team Ada report.PDF"),
            "attachment-1.pdf"
        );
        assert_eq!(neutral_file_name(2, "noext"), "attachment-2");
    }

    #[test]
    fn tiers_can_be_withheld_or_split() {
        let tiers = [
            Tier {
                rank: 1,
                amount: 1001,
            },
            Tier {
                rank: 2,
                amount: 500,
            },
        ];
        let ranked = ids("e", 3);
        let d = [
            TierDecision {
                rank: 1,
                entries: vec!["e00".into(), "e01".into()],
            },
            TierDecision {
                rank: 2,
                entries: vec![],
            },
        ];
        let p = prizes(&tiers, &d, &ranked).unwrap_or_default();
        assert_eq!(
            p.iter().map(|p| p.amount).collect::<Vec<_>>(),
            vec![501, 500]
        );
        let twice = [
            TierDecision {
                rank: 1,
                entries: vec!["e00".into()],
            },
            TierDecision {
                rank: 2,
                entries: vec!["e00".into()],
            },
        ];
        assert!(prizes(&tiers, &twice, &ranked).is_err());
        let undecided = [TierDecision {
            rank: 1,
            entries: vec!["e00".into()],
        }];
        assert!(prizes(&tiers, &undecided, &ranked).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Never a conflicted pair; exactly k judges whenever each entry has
        /// k unconflicted judges and the panel has the capacity; the load
        /// spread within one when it is; the same seed, the same result.
        #[test]
        fn assignment_properties(
            ne in 1usize..14,
            nj in 1usize..7,
            k in 1usize..4,
            conflicts in proptest::collection::vec((0usize..7, 0usize..14), 0..12),
            seed in any::<u64>(),
        ) {
            let inp = input(ne, nj, k, &conflicts, seed);
            let a = assign(&inp);
            for (e, j) in &a.pairs {
                prop_assert!(!inp.conflicts.contains(&(j.clone(), e.clone())));
            }
            let mut per: BTreeMap<&String, BTreeSet<&String>> = BTreeMap::new();
            for (e, j) in &a.pairs {
                prop_assert!(per.entry(e).or_default().insert(j), "distinct judges");
            }
            for e in &inp.entries {
                let n = per.get(e).map(|s| s.len()).unwrap_or(0);
                prop_assert!(n <= k);
                let short = a.short.iter().find(|s| &s.entry == e);
                prop_assert_eq!(n < k, short.is_some());
            }
            if inp.conflicts.is_empty() && nj >= k {
                prop_assert!(a.short.is_empty());
                let loads: Vec<usize> = a.loads(&inp.judges).values().copied().collect();
                let (lo, hi) = (loads.iter().min().copied().unwrap_or(0), loads.iter().max().copied().unwrap_or(0));
                prop_assert!(hi - lo <= 1, "{:?}", loads);
            }
            prop_assert_eq!(assign(&inp), a);
        }

        /// With conflicts, the spread is within one whenever a brute force
        /// over small panels finds that possible, and no assignment has more
        /// pairs.
        #[test]
        fn assignment_is_as_full_and_as_even_as_possible(
            ne in 1usize..5,
            nj in 1usize..4,
            k in 1usize..3,
            conflicts in proptest::collection::vec((0usize..4, 0usize..5), 0..6),
            seed in any::<u64>(),
        ) {
            let inp = input(ne, nj, k, &conflicts, seed);
            let a = assign(&inp);
            // Every assignment by brute force: each entry picks a subset of
            // its eligible judges of size min(k, eligible).
            let eligible: Vec<Vec<usize>> = (0..ne).map(|e| (0..nj).filter(|j| !inp.conflicts.contains(&(inp.judges[*j].clone(), inp.entries[e].clone()))).collect()).collect();
            let mut best_pairs = 0usize;
            let mut best_spread = usize::MAX;
            fn subsets(v: &[usize], size: usize) -> Vec<Vec<usize>> {
                if size == 0 { return vec![vec![]]; }
                if v.len() < size { return vec![]; }
                let mut out = subsets(&v[1..], size - 1).into_iter().map(|mut s| { s.push(v[0]); s }).collect::<Vec<_>>();
                out.extend(subsets(&v[1..], size));
                out
            }
            let choices: Vec<Vec<Vec<usize>>> = eligible.iter().map(|el| {
                let mut all = Vec::new();
                for size in 0..=k.min(el.len()) { all.extend(subsets(el, size)); }
                all
            }).collect();
            let mut idx = vec![0usize; ne];
            loop {
                let mut loads = vec![0usize; nj];
                let mut pairs = 0;
                for (e, c) in idx.iter().enumerate() { for j in &choices[e][*c] { loads[*j] += 1; pairs += 1; } }
                let spread = loads.iter().max().unwrap_or(&0) - loads.iter().min().unwrap_or(&0);
                if pairs > best_pairs || (pairs == best_pairs && spread < best_spread) {
                    best_pairs = pairs; best_spread = spread;
                }
                let mut p = 0;
                loop {
                    if p == ne { break; }
                    idx[p] += 1;
                    if idx[p] < choices[p].len() { break; }
                    idx[p] = 0; p += 1;
                }
                if p == ne { break; }
            }
            prop_assert_eq!(a.pairs.len(), best_pairs);
            let loads: Vec<usize> = a.loads(&inp.judges).values().copied().collect();
            let spread = loads.iter().max().copied().unwrap_or(0) - loads.iter().min().copied().unwrap_or(0);
            if best_spread <= 1 {
                prop_assert!(spread <= 1, "{:?} best {}", loads, best_spread);
            }
        }

        /// The leaderboard does not depend on the order of the scorecards.
        #[test]
        fn aggregation_ignores_order(
            scores in proptest::collection::vec((0usize..4, 0usize..6, 0u32..=100), 1..30),
            normalised in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let mut seen = BTreeSet::new();
            let cards: Vec<Card> = scores.into_iter()
                .filter(|(j, e, _)| seen.insert((*j, *e)))
                .map(|(j, e, s)| Card { judge: format!("j{j}"), entry: format!("e{e}"), score: f64::from(s), criteria: BTreeMap::new() })
                .collect();
            let mut shuffled = cards.clone();
            SplitMix64(seed).shuffle(&mut shuffled);
            let when = HashMap::new();
            prop_assert_eq!(leaderboard(&cards, normalised, &when), leaderboard(&shuffled, normalised, &when));
        }

        /// Normalisation makes a judge who scores every entry two points
        /// higher than another indistinguishable from them.
        #[test]
        fn a_lenient_judge_is_corrected(
            base in proptest::collection::vec(0u32..=90, 3..10),
            shift in 1u32..=10,
        ) {
            let mut cards = Vec::new();
            for (i, s) in base.iter().enumerate() {
                cards.push(Card { judge: "strict".into(), entry: format!("e{i}"), score: f64::from(*s), criteria: BTreeMap::new() });
                cards.push(Card { judge: "lenient".into(), entry: format!("e{i}"), score: f64::from(*s + shift), criteria: BTreeMap::new() });
            }
            let n = normalise(&cards);
            for pair in n.chunks(2) {
                prop_assert!((pair[0] - pair[1]).abs() < 1e-9, "{:?}", pair);
            }
        }

        /// A tier split among tied entries always hands out the whole amount.
        #[test]
        fn split_tiers_sum_to_the_tier(amount in 0i64..10_000_000, n in 1usize..7) {
            let ranked = ids("e", n);
            let p = prizes(&[Tier { rank: 1, amount }], &[TierDecision { rank: 1, entries: ranked.clone() }], &ranked).unwrap_or_default();
            prop_assert_eq!(p.iter().map(|p| p.amount).sum::<i64>(), amount);
            let max = p.iter().map(|p| p.amount).max().unwrap_or(0);
            let min = p.iter().map(|p| p.amount).min().unwrap_or(0);
            prop_assert!(max - min <= 1);
        }
    }
}
