//! Charts drawn by the server as inline SVG: no script, no charting
//! library, readable without colour (labels and values in text) and
//! described for screen readers. Scores run from 0 to 100.

/// Escapes text for SVG (XML).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn fmt1(x: f64) -> String {
    format!("{x:.1}")
}

/// How many of `values` (0–100) fall in each of ten bands of ten points.
pub fn bands(values: &[f64]) -> [usize; 10] {
    let mut out = [0usize; 10];
    for v in values {
        let i = ((v.clamp(0.0, 100.0) / 10.0).floor() as usize).min(9);
        out[i] += 1;
    }
    out
}

/// A histogram of scores in ten bands: `title` names the chart for screen
/// readers, `y_label` the counted thing.
pub fn histogram(values: &[f64], title: &str, y_label: &str) -> String {
    let counts = bands(values);
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let (w, h, left, bottom, top) = (400.0, 190.0, 32.0, 28.0, 16.0);
    let plot_h = h - bottom - top;
    let bar_w = (w - left - 8.0) / 10.0;
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="hist-title"><title id="hist-title">{}</title>"#,
        esc(title)
    );
    for tick in [0, max / 2, max] {
        let y = top + plot_h - plot_h * tick as f64 / max as f64;
        s.push_str(&format!(
            r#"<line class="chart-grid" x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}"/><text class="chart-tick" x="{}" y="{:.1}" text-anchor="end">{tick}</text>"#,
            w - 8.0,
            left - 6.0,
            y + 4.0
        ));
    }
    for (i, c) in counts.iter().enumerate() {
        let bh = plot_h * *c as f64 / max as f64;
        let x = left + i as f64 * bar_w;
        s.push_str(&format!(
            r#"<rect class="chart-bar" x="{:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}"><title>{}–{}: {c} {}</title></rect>"#,
            x + 2.0,
            top + plot_h - bh,
            bar_w - 4.0,
            i * 10,
            i * 10 + 10,
            esc(y_label)
        ));
        if *c > 0 {
            s.push_str(&format!(
                r#"<text class="chart-value" x="{:.1}" y="{:.1}" text-anchor="middle">{c}</text>"#,
                x + bar_w / 2.0,
                top + plot_h - bh - 3.0
            ));
        }
        s.push_str(&format!(
            r#"<text class="chart-tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x + bar_w / 2.0,
            h - 10.0,
            i * 10
        ));
    }
    s.push_str("</svg>");
    s
}

/// One judge's range: lowest, mean and highest score given.
pub struct Range<'a> {
    pub name: &'a str,
    pub min: f64,
    pub mean: f64,
    pub max: f64,
}

/// The spread of each judge's scores: a line from the lowest to the highest
/// score, a dot at the mean, on a 0–100 axis.
pub fn ranges(rows: &[Range<'_>], title: &str) -> String {
    let row_h = 30.0;
    let (w, left, right, top) = (400.0, 120.0, 20.0, 10.0);
    let h = top + row_h * rows.len().max(1) as f64 + 26.0;
    let x = |v: f64| left + (w - left - right) * v.clamp(0.0, 100.0) / 100.0;
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h:.0}" role="img" aria-labelledby="ranges-title"><title id="ranges-title">{}</title>"#,
        esc(title)
    );
    for tick in [0.0, 25.0, 50.0, 75.0, 100.0] {
        s.push_str(&format!(
            r#"<line class="chart-grid" x1="{0:.1}" x2="{0:.1}" y1="{top}" y2="{1:.1}"/><text class="chart-tick" x="{0:.1}" y="{2:.1}" text-anchor="middle">{tick}</text>"#,
            x(tick),
            h - 22.0,
            h - 8.0
        ));
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * i as f64 + row_h / 2.0;
        // Long names are cut so the axis keeps its room; the full name
        // stays in the tooltip.
        let name: String = if r.name.chars().count() > 15 {
            r.name.chars().take(14).chain(['…']).collect()
        } else {
            r.name.to_owned()
        };
        s.push_str(&format!(
            r#"<text class="chart-label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><line class="chart-range" x1="{:.1}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><circle class="chart-dot" cx="{:.1}" cy="{y:.1}" r="5"><title>{}: {} – {} (mean {})</title></circle>"#,
            left - 10.0,
            y + 4.0,
            esc(&name),
            x(r.min),
            x(r.max),
            x(r.mean),
            esc(r.name),
            fmt1(r.min),
            fmt1(r.max),
            fmt1(r.mean)
        ));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_fall_in_ten_bands() {
        assert_eq!(
            bands(&[0.0, 9.9, 10.0, 99.0, 100.0]),
            [2, 1, 0, 0, 0, 0, 0, 0, 0, 2]
        );
    }

    #[test]
    fn charts_escape_names_and_describe_themselves() {
        let svg = ranges(
            &[Range {
                name: "<Jo & Co>",
                min: 10.0,
                mean: 50.0,
                max: 90.0,
            }],
            "Spread per judge",
        );
        assert!(svg.contains("&lt;Jo &amp; Co&gt;"));
        assert!(svg.contains("<title id=\"ranges-title\">Spread per judge</title>"));
        assert!(!svg.contains("<Jo"));
        let h = histogram(&[55.0, 57.0], "Scores", "entries");
        assert!(h.contains("50–60: 2 entries"));
    }
}
