//! Line plots as PNG: the loss curve beside each checkpoint, surprise traces in evaluation.

use std::path::Path;

use crate::ModelError;
use crate::canvas::Canvas;
use crate::losses::LossTerms;

const COLORS: [[u8; 3]; 7] =
    [[30, 30, 30], [220, 60, 40], [40, 110, 220], [40, 160, 70], [170, 80, 200], [230, 150, 20], [20, 170, 180]];

/// One named series of `(x, y)` points.
pub struct Series<'a> {
    /// Legend label.
    pub label: &'a str,
    /// Points, x increasing.
    pub points: Vec<(f64, f64)>,
}

/// Draws `series` on one plot (log-scale y when `log_y`) with a legend and tick labels.
pub fn line_plot(title: &str, x_label: &str, series: &[Series], log_y: bool, path: &Path) -> Result<(), ModelError> {
    let (w, h, left, right, top, bottom) = (900usize, 500usize, 80.0, 20.0, 40.0, 50.0);
    let mut canvas = Canvas::new(w, h, [255, 255, 255]);
    let ty = |y: f64| if log_y { y.max(1e-12).log10() } else { y };
    let finite = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite() && (!log_y || *y > 0.0));
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in finite {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(ty(y)), y1.max(ty(y)));
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    if log_y {
        (y0, y1) = (y0.floor(), y1.ceil().max(y0.floor() + 1.0));
    } else if (y1 - y0).abs() < 1e-12 {
        y1 = y0 + 1.0;
    }
    let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
    let (pw, ph) = (w as f64 - left - right, h as f64 - top - bottom);
    let px = |x: f64| left + (x - x0) / (x1 - x0) * pw;
    let py = |y: f64| top + (1.0 - (ty(y) - y0) / (y1 - y0)) * ph;
    let grey = [200, 200, 200];
    // Log plots get one grid line per decade (y0 and y1 are whole decades), linear ones five.
    let lines = if log_y { (y1 - y0).round().max(1.0) as usize } else { 4 };
    for i in 0..=lines {
        let v = y0 + (y1 - y0) * i as f64 / lines as f64;
        let y = top + (1.0 - i as f64 / lines as f64) * ph;
        canvas.line((left, y), (left + pw, y), grey);
        let label = if log_y { format!("{:.0e}", 10f64.powf(v)) } else { format!("{v:.3}") };
        canvas.text(4, y as i64 - 5, &label, 2, [60, 60, 60]);
    }
    for i in 0..=4 {
        let xv = x0 + (x1 - x0) * i as f64 / 4.0;
        canvas.text(
            (left + pw * i as f64 / 4.0) as i64 - 10,
            (top + ph) as i64 + 8,
            &format!("{xv:.0}"),
            2,
            [60, 60, 60],
        );
    }
    canvas.text(left as i64, 10, title, 3, [0, 0, 0]);
    canvas.text((left + pw / 2.0) as i64, h as i64 - 18, x_label, 2, [60, 60, 60]);
    for (i, s) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite() && (!log_y || *y > 0.0))
            .map(|&(x, y)| (px(x), py(y)))
            .collect();
        for pair in pts.windows(2) {
            canvas.line(pair[0], pair[1], color);
        }
        // Wide enough for the longest label (glyphs are 4 × scale pixels apart).
        let longest = series.iter().map(|s| s.label.chars().count()).max().unwrap_or(0) as i64;
        let lx = (w as i64 - 30 - 8 * longest).min(w as i64 - 170).max(left as i64);
        let ly = top as i64 + 10 + i as i64 * 18;
        canvas.fill(lx, ly, 14, 10, color);
        canvas.text(lx + 20, ly, s.label, 2, color);
    }
    canvas.save_png(path)
}

/// The loss terms over training, smoothed over 20 steps, log scale.
pub fn loss_curve(history: &[(usize, LossTerms)], path: &Path) -> Result<(), ModelError> {
    let smooth = |pick: fn(&LossTerms) -> f32| -> Vec<(f64, f64)> {
        history
            .chunks(20)
            .map(|c| {
                let x = c.last().map_or(0, |p| p.0) as f64;
                (x, c.iter().map(|p| f64::from(pick(&p.1))).sum::<f64>() / c.len() as f64)
            })
            .collect()
    };
    let mut series = vec![
        Series { label: "total", points: smooth(|t| t.total) },
        Series { label: "prediction", points: smooth(|t| t.prediction) },
        Series { label: "reconstruct", points: smooth(|t| t.reconstruction) },
        Series { label: "pixel", points: smooth(|t| t.pixel) },
        Series { label: "variance", points: smooth(|t| t.variance) },
        Series { label: "latent std", points: smooth(|t| t.latent_std_mean) },
    ];
    // Older histories, and decoders that paint everywhere, have no mask to show.
    if history.iter().any(|(_, t)| t.mask > 0.0) {
        series.push(Series { label: "painted", points: smooth(|t| t.mask) });
    }
    // Older histories have no audio term.
    if history.iter().any(|(_, t)| t.audio > 0.0) {
        series.push(Series { label: "audio token", points: smooth(|t| t.audio) });
    }
    line_plot("training loss", "step", &series, true, path)
}
