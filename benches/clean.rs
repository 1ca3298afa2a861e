//! Criterion benches over named inputs, with `Throughput::Bytes`:
//!
//! * `article/*`: typical scraped articles (3-5 KB) from
//!   `../shared/corpus/bulk.jsonl` when it is there, cleaned one at a time
//!   with a built `Cleaner` (the library's per-page cost inside a scraper):
//!   the first one over and over, all 50, one of the 50 an iteration, each
//!   in turn, every 3-5 KB article of the corpus in turn (the typical
//!   per-page figure), and the 50 with each one 64 times running (an order
//!   the CPU's branch predictors learn); a
//!   generated article when the corpus is not there (a note says so);
//! * `corpus/*`: many articles at once through `clean_reader`;
//! * `adversarial/*`: lines that almost match a pattern, very long lines,
//!   only newlines, many short lines;
//! * `build/*`: building the default cleaner, and one with 500 extra
//!   literal entries.
//!
//! Run with `cargo bench --bench clean`; measurement times are short so the
//! whole run takes about a minute.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use dejunk::{Cleaner, CleanerBuilder};

mod articles;
use articles::bulk_articles;

/// A 4 KB article with some junk in it, for when the corpus is absent.
fn generated_article() -> String {
    let para = "The council voted on Tuesday to close the bridge for repairs, \
                officials said, after engineers found cracks in two of its piers. \
                Traffic will be diverted through the old town until the spring.";
    let mut s = String::from("Advertisement\n\n");
    for i in 0..18 {
        s.push_str(para);
        s.push_str("\n\n");
        if i % 6 == 3 {
            s.push_str("Photo: Jane Doe/Getty Images\n\nGet push notifications with news, features and more.\n\n");
        }
    }
    s
}

fn adversarial() -> Vec<(&'static str, String)> {
    let words = ["the", "of", "and", "said", "to", "in", "was", "on"];
    let prose = |n: usize, seed: usize| -> String {
        (0..n)
            .map(|i| words[(i * 7 + seed) % words.len()])
            .collect::<Vec<_>>()
            .join(" ")
    };
    let near = [
        "Advertisement for the new film ran on",
        "Photo of the",
        "By the time",
        "(Photo",
        "Getty Images said",
        "— and then (@",
        "him /AP and",
        "Story highlights and more",
        "Image zoom",
        "12 of the",
        "A post shared by",
    ];
    let mut near_misses = String::new();
    let mut i = 0;
    while near_misses.len() < 1 << 20 {
        near_misses.push_str(near[i % near.len()]);
        near_misses.push(' ');
        near_misses.push_str(&prose(6, i));
        near_misses.push('\n');
        i += 1;
    }
    let long_line = prose(200_000, 0) + "\n";
    let newlines = "\n".repeat(1 << 20);
    let mut short = String::new();
    i = 0;
    while short.len() < 1 << 20 {
        short.push_str(words[i % words.len()]);
        short.push('\n');
        i += 1;
    }
    vec![
        ("near-misses", near_misses),
        ("long-line", long_line),
        ("only-newlines", newlines),
        ("short-lines", short),
    ]
}

/// 500 literal line entries of the kind a site list holds.
fn extra_patterns() -> String {
    let mut s = String::from("[line]\n");
    for i in 0..500 {
        s.push_str(&format!(
            "Follow site number {i} on social media for more stories\n"
        ));
    }
    s
}

/// Cleans one of `articles` an iteration, the next one each time, with
/// the mean article's size as the throughput.
fn in_turn(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    cleaner: &Cleaner,
    articles: &[String],
) {
    let total: usize = articles.iter().map(String::len).sum();
    g.throughput(Throughput::Bytes((total / articles.len()) as u64));
    let mut next = 0;
    g.bench_function(name, |b| {
        b.iter(|| {
            next = (next + 1) % articles.len();
            cleaner.clean_str(black_box(&articles[next]))
        })
    });
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
        .configure_from_args();
    let cleaner = Cleaner::new();

    // Every 3-5 KB article of the corpus (1,848), read once; most groups
    // use the first 50.
    let every = bulk_articles(usize::MAX).unwrap_or_else(|| {
        println!("note: ../shared/corpus/bulk.jsonl not found; using a generated article");
        vec![generated_article()]
    });
    let articles = &every[..every.len().min(50)];
    {
        let mut g = c.benchmark_group("article");
        let one = &articles[0];
        g.throughput(Throughput::Bytes(one.len() as u64));
        g.bench_function("first-3-5KB", |b| {
            b.iter(|| cleaner.clean_str(black_box(one)))
        });
        let total: usize = articles.iter().map(String::len).sum();
        g.throughput(Throughput::Bytes(total as u64));
        g.bench_function(format!("{}-articles-3-5KB", articles.len()), |b| {
            b.iter(|| {
                for a in articles {
                    black_box(cleaner.clean_str(black_box(a)));
                }
            })
        });
        // One article an iteration, the next one each time. The same
        // article over and over (`first-3-5KB`) lets the CPU's branch
        // predictors learn it (50 copies of it in turn, at 50 addresses,
        // cost what one buffer did: it is not the data cache), and the
        // first is one of the cheaper ones: 68 thousand instructions
        // against a mean of 91 thousand (callgrind). What the predictors learn of 50
        // articles in turn is as good as nothing (see `each-64-times`), but
        // the matcher remembers the hits of short lines it has seen
        // (`matcher::LineMemo`, 1,024 lines), so the 50 articles'
        // boilerplate is remembered from their last round.
        in_turn(&mut g, "each-in-turn-3-5KB", &cleaner, articles);
        // Every 3-5 KB article of the corpus in turn: no article comes back
        // before 1,800 others, as in a scraper, so only what recurs across
        // recent articles is remembered, as on new pages.
        if every.len() > articles.len() {
            in_turn(&mut g, "all-in-turn-3-5KB", &cleaner, &every);
        }
        // The same articles, the same work, in another order: each one 64
        // times running before the next. The CPU's branch predictors learn
        // an article in a few runs, so this is what the order costs: the
        // gap to `each-in-turn` is what they learned. (In a throwaway
        // harness, rotations of up to ten articles cost what each repeated
        // alone did, 25 about 1.3 times that, and 50 to 400 about 1.8
        // times: to the predictors, 50 in turn are as good as new pages.)
        let mut n = 0usize;
        g.bench_function("each-64-times-3-5KB", |b| {
            b.iter(|| {
                n = n.wrapping_add(1);
                cleaner.clean_str(black_box(&articles[(n / 64) % articles.len()]))
            })
        });
        g.finish();
    }
    {
        let mut g = c.benchmark_group("corpus");
        let all = articles.join("\n\n");
        let mut out = Vec::with_capacity(all.len());
        g.throughput(Throughput::Bytes(all.len() as u64));
        g.bench_function("clean_reader", |b| {
            b.iter(|| {
                out.clear();
                cleaner.clean_reader(all.as_bytes(), &mut out).unwrap();
            })
        });
        g.finish();
    }
    {
        let mut g = c.benchmark_group("adversarial");
        let mut out = Vec::new();
        for (name, input) in adversarial() {
            g.throughput(Throughput::Bytes(input.len() as u64));
            g.bench_function(name, |b| {
                b.iter(|| {
                    out.clear();
                    cleaner.clean_reader(input.as_bytes(), &mut out).unwrap();
                })
            });
        }
        g.finish();
    }
    {
        let mut g = c.benchmark_group("build");
        g.bench_function("default", |b| b.iter(Cleaner::new));
        let extra = extra_patterns();
        g.bench_function("default+500-literals", |b| {
            b.iter(|| {
                CleanerBuilder::new()
                    .patterns_str("extra", &extra)
                    .build()
                    .unwrap()
            })
        });
        g.finish();
    }
    c.final_summary();
}
