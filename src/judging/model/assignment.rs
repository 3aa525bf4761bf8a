//! Assignment: which judges score which entry.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

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
pub(crate) struct SplitMix64(pub u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
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
    }
}
