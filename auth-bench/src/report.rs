//! The table: one line per row, and the targets evaluated as pass/fail columns.

use crate::cli::Args;
use std::fmt::Write;
use std::time::Duration;

const MIB: u64 = 1024 * 1024;

/// One line of the table.
#[derive(Debug, Clone, Default)]
pub struct RowResult {
    pub label: String,
    /// Connections, threads or tasks doing the work.
    pub load: String,
    /// Operations per second.
    pub rate: Option<f64>,
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
    /// The server child's peak RSS.
    pub peak_rss: Option<u64>,
    pub ratio: Option<Ratio>,
    pub target: Option<Target>,
    pub note: String,
}

/// How a row compares with what bounds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ratio {
    /// This row's rate over the rate of the named ceiling.
    OfCeiling {
        fraction: f64,
        ceiling: &'static str,
    },
    /// This row's p99 over the same requests' p99 when idle.
    OfIdleP99(f64),
    /// This row's p99 over the same requests' p99 on a small database (`baseline` names it).
    OfSmallP99 { ratio: f64, baseline: &'static str },
}

/// A target of issue 6.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// At least this fraction of the ceiling's rate.
    AtLeastOfCeiling(f64),
    /// p99 under load below this multiple of the idle p99.
    P99RatioBelow(f64),
    /// p99 on the large database below this multiple of its p99 on the small one.
    P99OfSmallBelow(f64),
    /// The server's peak RSS below this many bytes.
    PeakRssBelow(u64),
    /// Median start-up (spawn to ready) below this.
    StartupBelow(Duration),
}

impl Target {
    fn describe(self) -> String {
        match self {
            Self::AtLeastOfCeiling(f) => format!(">= {:.0}%", f * 100.0),
            Self::P99RatioBelow(r) => format!("< {r}x idle"),
            Self::P99OfSmallBelow(r) => format!("< {r}x base"),
            Self::PeakRssBelow(bytes) => format!("< {} MiB", bytes / MIB),
            Self::StartupBelow(d) => format!("< {} ms", d.as_millis()),
        }
    }

    /// Whether `row` meets the target; `None` when the row lacks the measurement.
    pub fn met_by(self, row: &RowResult) -> Option<bool> {
        match (self, &row.ratio) {
            (Self::AtLeastOfCeiling(min), Some(Ratio::OfCeiling { fraction, .. })) => {
                Some(*fraction >= min)
            }
            (Self::P99RatioBelow(max), Some(Ratio::OfIdleP99(ratio))) => Some(*ratio < max),
            (Self::P99OfSmallBelow(max), Some(Ratio::OfSmallP99 { ratio, .. })) => {
                Some(*ratio < max)
            }
            (Self::PeakRssBelow(max), _) => row.peak_rss.map(|rss| rss < max),
            (Self::StartupBelow(max), _) => row.p50.map(|p50| p50 < max),
            _ => None,
        }
    }
}

/// The table, as Markdown, so a run pastes into `docs/performance.md` as it is.
pub fn table(rows: &[RowResult]) -> String {
    let header = [
        "row",
        "load",
        "ops/s",
        "p50",
        "p99",
        "peak RSS",
        "vs ceiling",
        "target",
        "result",
        "note",
    ];
    let lines: Vec<[String; 10]> = rows
        .iter()
        .map(|row| {
            let result = match row.target.map(|t| t.met_by(row)) {
                Some(Some(true)) => "pass",
                Some(Some(false)) => "FAIL",
                Some(None) => "?",
                None => "",
            };
            [
                row.label.clone(),
                row.load.clone(),
                row.rate.map(format_rate).unwrap_or_default(),
                row.p50.map(format_latency).unwrap_or_default(),
                row.p99.map(format_latency).unwrap_or_default(),
                row.peak_rss.map(format_rss).unwrap_or_default(),
                row.ratio.as_ref().map(format_ratio).unwrap_or_default(),
                row.target.map(Target::describe).unwrap_or_default(),
                result.to_owned(),
                row.note.clone(),
            ]
        })
        .collect();
    markdown(&header, &lines, |column| (2..=6).contains(&column))
}

/// A Markdown table of `header` and `lines`, padded to line up; `numeric` columns are aligned
/// right.
fn markdown<const N: usize>(
    header: &[&str; N],
    lines: &[[String; N]],
    numeric: impl Fn(usize) -> bool,
) -> String {
    let mut widths = header.map(str::len);
    for line in lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let render = |cells: &[String; N]| {
        let mut out = String::from("|");
        for (column, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if numeric(column) {
                let _ = write!(out, " {cell:>width$} |");
            } else {
                let _ = write!(out, " {cell:<width$} |");
            }
        }
        out
    };
    let mut out = render(&header.map(str::to_owned));
    out.push('\n');
    out.push('|');
    for (column, width) in widths.iter().enumerate() {
        if numeric(column) {
            let _ = write!(out, " {}: |", "-".repeat(width - 1));
        } else {
            let _ = write!(out, " {} |", "-".repeat(*width));
        }
    }
    for line in lines {
        out.push('\n');
        out.push_str(&render(line));
    }
    out
}

/// What one row measured on one server.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Operations per second.
    pub rate: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// The server's peak RSS.
    pub peak_rss: u64,
    /// Failed requests, if any, and the first failure.
    pub failures: String,
}

/// A row run on both servers (`--compare`).
#[derive(Debug, Clone)]
pub struct Comparison {
    pub label: String,
    pub load: String,
    pub ours: Sample,
    pub other: Sample,
}

/// The comparison table, as Markdown: the other provider's numbers (`other` is its short name),
/// and ours divided by its (above 1 is more operations per second, or a longer p99, or more
/// memory, for ours).
pub fn comparison_table(rows: &[Comparison], other: &str) -> String {
    let ratio = |what: &str| format!("{what} ours/{other}");
    let header = [
        "row".to_owned(),
        "load".to_owned(),
        format!("{other} ops/s"),
        format!("{other} p50"),
        format!("{other} p99"),
        format!("{other} peak RSS"),
        ratio("ops/s"),
        ratio("p99"),
        ratio("RSS"),
        "note".to_owned(),
    ];
    let header = header.each_ref().map(String::as_str);
    let lines: Vec<[String; 10]> = rows
        .iter()
        .map(|row| {
            let (ours, it) = (&row.ours, &row.other);
            let failures = [("ours", &ours.failures), (other, &it.failures)]
                .iter()
                .filter(|(_, f)| !f.is_empty())
                .map(|(who, f)| format!("{who}: {f}"))
                .collect::<Vec<_>>()
                .join("; ");
            [
                row.label.clone(),
                row.load.clone(),
                format_rate(it.rate),
                format_latency(it.p50),
                format_latency(it.p99),
                format_rss(it.peak_rss),
                format_times(ours.rate, it.rate),
                format_times(ours.p99.as_secs_f64(), it.p99.as_secs_f64()),
                format_times(ours.peak_rss as f64, it.peak_rss as f64),
                failures,
            ]
        })
        .collect();
    markdown(&header, &lines, |column| (2..=8).contains(&column))
}

/// `ours / theirs` as `1.85x`; empty when `theirs` is zero.
fn format_times(ours: f64, theirs: f64) -> String {
    if theirs > 0.0 {
        format!("{:.2}x", ours / theirs)
    } else {
        String::new()
    }
}

/// What the run was: the settings a reader needs to repeat it.
pub fn footer(args: &Args) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!(
        "{cores} cores; {} per row after a warm-up; {} database; keys.algorithm = {}; \
         the server's rate limits (rate_limits.*, login.*) raised out of reach; server logs off; \
         load thread of the throughput rows: --load-policy {}.",
        format_latency(args.duration),
        if args.postgres_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        args.algorithm.jose(),
        args.load_policy.name()
    )
}

/// What the comparison was: the other provider's versions and setup, and where ours comes from.
pub fn comparison_footer(versions: &str, args: &Args) -> String {
    format!(
        "{versions}: one process, its in-memory adapter (ours writes to {}), the same clients, \
         user and lifetimes, {} keys, JWT access tokens (opaque for introspection: it cannot \
         introspect its JWTs); the ratios divide ours (the table above, same run) by its numbers.",
        if args.postgres_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        args.algorithm.jose()
    )
}

pub fn format_rate(rate: f64) -> String {
    if rate >= 100.0 {
        format!("{rate:.0}")
    } else {
        format!("{rate:.1}")
    }
}

/// A count with thousands separated by commas: `1,000,000`.
pub fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

pub fn format_latency(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn format_rss(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB as f64)
}

fn format_ratio(ratio: &Ratio) -> String {
    match ratio {
        Ratio::OfCeiling { fraction, ceiling } => format!("{:.0}% of {ceiling}", fraction * 100.0),
        Ratio::OfIdleP99(r) => format!("{r:.1}x idle p99"),
        Ratio::OfSmallP99 { ratio, baseline } => format!("{ratio:.2}x p99 at {baseline}"),
    }
}

/// Peak RSS target of issue 6.
pub const RSS_TARGET: u64 = 64 * MIB;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1_000), "1,000");
        assert_eq!(format_count(1_000_000), "1,000,000");
        assert_eq!(format_count(12_345_678), "12,345,678");
    }

    fn row(ratio: Option<Ratio>, target: Option<Target>) -> RowResult {
        RowResult {
            label: "JWKS".into(),
            load: "64".into(),
            rate: Some(12345.6),
            p50: Some(Duration::from_micros(2500)),
            p99: Some(Duration::from_micros(12_340)),
            peak_rss: Some(40 * MIB),
            ratio,
            target,
            note: String::new(),
        }
    }

    #[test]
    fn ceiling_targets_compare_the_fraction() {
        let ratio = |fraction| {
            Some(Ratio::OfCeiling {
                fraction,
                ceiling: "trivial",
            })
        };
        let target = Target::AtLeastOfCeiling(0.3);
        assert_eq!(target.met_by(&row(ratio(0.31), None)), Some(true));
        assert_eq!(target.met_by(&row(ratio(0.29), None)), Some(false));
        assert_eq!(target.met_by(&row(None, None)), None);
    }

    #[test]
    fn latency_rss_and_startup_targets_are_strict_bounds() {
        let p99 = Target::P99RatioBelow(3.0);
        assert_eq!(
            p99.met_by(&row(Some(Ratio::OfIdleP99(2.9)), None)),
            Some(true)
        );
        assert_eq!(
            p99.met_by(&row(Some(Ratio::OfIdleP99(3.0)), None)),
            Some(false)
        );
        assert_eq!(
            Target::PeakRssBelow(RSS_TARGET).met_by(&row(None, None)),
            Some(true)
        );
        assert_eq!(
            Target::StartupBelow(Duration::from_millis(2)).met_by(&row(None, None)),
            Some(false)
        );
    }

    #[test]
    fn the_table_is_markdown_with_one_line_per_row() {
        let rows = [
            row(
                Some(Ratio::OfCeiling {
                    fraction: 0.25,
                    ceiling: "trivial",
                }),
                Some(Target::AtLeastOfCeiling(0.3)),
            ),
            RowResult {
                label: "trivial handler".into(),
                ..RowResult::default()
            },
        ];
        let table = table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("| row "));
        assert!(lines[1].starts_with("| ---"));
        assert!(lines[2].contains("| 12346 |"), "{}", lines[2]);
        assert!(lines[2].contains("2.50 ms"));
        assert!(lines[2].contains("12.3 ms"));
        assert!(lines[2].contains("40.0 MiB"));
        assert!(lines[2].contains("25% of trivial"));
        assert!(lines[2].contains(">= 30%"));
        assert!(lines[2].contains("FAIL"));
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() == lines[0].chars().count())
        );
    }

    #[test]
    fn the_comparison_divides_ours_by_the_other_providers_numbers() {
        let sample = |rate, p99_ms, rss_mib, failures: &str| Sample {
            rate,
            p50: Duration::from_millis(1),
            p99: Duration::from_millis(p99_ms),
            peak_rss: rss_mib * MIB,
            failures: failures.into(),
        };
        let rows = [Comparison {
            label: "JWKS".into(),
            load: "64".into(),
            ours: sample(3000.0, 10, 20, ""),
            other: sample(1000.0, 40, 80, "2 failed, first: 500"),
        }];
        let table = comparison_table(&rows, "node");
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains("| node ops/s |"), "{}", lines[0]);
        assert!(lines[0].contains("| ops/s ours/node |"), "{}", lines[0]);
        assert!(lines[2].contains(" 1000 |"), "{}", lines[2]);
        assert!(lines[2].contains("80.0 MiB"));
        assert!(lines[2].contains(" 3.00x |"), "{}", lines[2]);
        assert!(lines[2].contains(" 0.25x |"), "{}", lines[2]);
        assert!(lines[2].contains("node: 2 failed, first: 500"));
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() == lines[0].chars().count())
        );
    }

    #[test]
    fn latencies_keep_three_significant_figures() {
        assert_eq!(format_latency(Duration::from_micros(420)), "0.42 ms");
        assert_eq!(format_latency(Duration::from_millis(125)), "125.0 ms");
        assert_eq!(format_latency(Duration::from_millis(2500)), "2.50 s");
        assert_eq!(format_rate(12.34), "12.3");
    }
}
