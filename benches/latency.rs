//! What one article costs inside a scraper, as a distribution: every 3-5 KB
//! article of the shared bulk corpus (1,848) cleaned once a pass with a
//! built `Cleaner`, in turn (so no article comes back before all the others
//! have been cleaned, as with new pages), each call timed on its own. Each
//! article's cost is the median of its passes, which leaves out the moments
//! when this shared machine is busy; the table is over those medians.
//!
//! Criterion's `article/all-in-turn-3-5KB` (in `benches/clean.rs`) measures
//! the mean of the same calls. The mean is pulled up by a tail of articles
//! with long lines of captions and credits, which go to the matcher's
//! automaton; the median is the typical article.
//!
//! Run with `cargo bench --bench latency` (about a second). `PASSES=n` sets
//! the passes (15). Without the corpus it prints why and does nothing.

use std::hint::black_box;
use std::time::Instant;

use dejunk::Cleaner;

mod articles;

fn main() {
    let Some(articles) = articles::bulk_articles(usize::MAX) else {
        println!("latency: skipped, ../shared/corpus/bulk.jsonl not found");
        return;
    };
    let passes: usize = match std::env::var("PASSES") {
        Ok(s) => match s.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("latency: PASSES must be a whole number above 0, not {s:?}");
                std::process::exit(2);
            }
        },
        Err(_) => 15,
    };
    let cleaner = Cleaner::new();
    let mut times = vec![Vec::with_capacity(passes); articles.len()];
    for _ in 0..passes {
        for (t, a) in times.iter_mut().zip(&articles) {
            let start = Instant::now();
            black_box(cleaner.clean_str(black_box(a)));
            t.push(start.elapsed().as_secs_f64() * 1e6);
        }
    }
    let mut cost: Vec<f64> = times
        .iter_mut()
        .map(|t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect();
    cost.sort_by(f64::total_cmp);
    let n = cost.len();
    let total: f64 = cost.iter().sum();
    let at = |q: f64| cost[((n - 1) as f64 * q).round() as usize];
    let within = cost.partition_point(|&c| c <= 10.0);
    let top_tenth: f64 = cost[n - n / 10..].iter().sum();
    println!(
        "latency: {n} articles of 3-5 KB, each cleaned once a pass in turn, {passes} passes; \
         each article's median, in µs:"
    );
    println!("  mean    {:6.2}", total / n as f64);
    for (name, q) in [
        ("p10", 0.1),
        ("p25", 0.25),
        ("median", 0.5),
        ("p75", 0.75),
        ("p90", 0.9),
        ("p99", 0.99),
        ("max", 1.0),
    ] {
        println!("  {name:<7} {:6.2}", at(q));
    }
    println!(
        "  {:.0}% of the articles take at most 10 µs; the costliest tenth takes {:.0}% of the time",
        100.0 * within as f64 / n as f64,
        100.0 * top_tenth / total
    );
}
