//! charts: one function per chart, one shared theme. Each chart is drawn twice from
//! the same plain data: SVG (inline in the HTML) and PNG (Markdown, e-mail).

use anyhow::{anyhow, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Serialize;
use std::path::Path;
use std::sync::Once;

/// DejaVu Sans (licence beside it), compiled in so that PNG text renders on a machine
/// with no fonts installed.
static FONT: &[u8] = include_bytes!("font/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

fn ensure_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("the embedded font is invalid"));
    });
}

/// Okabe–Ito: distinguishable with the common colour-vision deficiencies.
pub mod theme {
    use plotters::style::RGBColor;
    pub const BLUE: RGBColor = RGBColor(0, 114, 178);
    pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
    pub const GREEN: RGBColor = RGBColor(0, 158, 115);
    pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    pub const GREY: RGBColor = RGBColor(120, 120, 120);
    pub const SKY: RGBColor = RGBColor(86, 180, 233);
    pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
    pub const INK: RGBColor = RGBColor(40, 40, 40);
    pub const SIZE: (u32, u32) = (760, 360);
}

#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub alt: String,
    /// The SVG document, to inline in HTML.
    pub svg: String,
    /// Relative path of the PNG in the report folder (`charts/<id>.png`).
    pub png: String,
}

/// A named series of values over the same x labels; None leaves a gap.
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
    pub color: RGBColor,
}

pub struct LineData {
    pub id: String,
    pub title: String,
    pub alt: String,
    pub x_labels: Vec<String>,
    pub series: Vec<Series>,
    pub y_suffix: String,
    /// A horizontal reference line (a target) and its label.
    pub reference: Option<(f64, String)>,
    pub y_from_zero: bool,
    /// A dot on every point (off for long daily series).
    pub markers: bool,
}

pub struct BarData {
    pub id: String,
    pub title: String,
    pub alt: String,
    pub categories: Vec<String>,
    pub current: (String, Vec<f64>),
    pub previous: (String, Vec<f64>),
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing failed: {e:?}")
}

/// A chart's data knows how to draw itself on any backend.
trait Draw {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static;
}

impl Draw for LineData {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw_lines(root, self)
    }
}

impl Draw for BarData {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw_bars(root, self)
    }
}

/// Draw `d` into an SVG string and a PNG file `<dir>/<id>.png`.
fn both<D: Draw>(dir: &Path, id: &str, title: &str, alt: &str, d: &D) -> Result<Chart> {
    both_sized(dir, id, title, alt, d, theme::SIZE)
}

fn both_sized<D: Draw>(dir: &Path, id: &str, title: &str, alt: &str, d: &D, size: (u32, u32)) -> Result<Chart> {
    ensure_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        d.draw(&root)?;
        root.present().map_err(err)?;
    }
    let svg = strip_xml_declaration(svg);
    let svg_path = dir.join(format!("{id}.svg"));
    std::fs::write(&svg_path, &svg).with_context(|| format!("failed to write `{}`", svg_path.display()))?;
    let png = dir.join(format!("{id}.png"));
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        d.draw(&root)?;
        root.present().map_err(err).with_context(|| format!("failed to write `{}`", png.display()))?;
    }
    Ok(Chart {
        id: id.to_string(),
        title: title.to_string(),
        alt: alt.to_string(),
        svg,
        png: format!("charts/{id}.png"),
    })
}

fn strip_xml_declaration(s: String) -> String {
    match s.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map(|(_, r)| r.trim_start().to_string()).unwrap_or(s),
        None => s,
    }
}

/// The label of the category at a whole-number axis position (categories sit on 0, 1,
/// 2 …), empty between them; `reversed` counts from the far end (largest on top).
fn category(labels: &[String], v: f64, reversed: bool) -> String {
    let i = v.round();
    if (v - i).abs() >= 1e-6 || i < 0.0 || i as usize >= labels.len() {
        return String::new();
    }
    let i = i as usize;
    labels[if reversed { labels.len() - 1 - i } else { i }].clone()
}

/// The legend box every chart with series uses.
fn legend<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>, position: SeriesLabelPosition) -> Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(theme::GREY.mix(0.4))
        .label_font((FAMILY, 12).into_font().color(&theme::INK))
        .draw()
        .map_err(err)
}

/// Bars of one series, named in the legend with a square of their colour.
fn swatch_series<'a, DB>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    rects: Vec<Rectangle<(f64, f64)>>,
    name: &str,
    color: RGBColor,
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
{
    chart
        .draw_series(rects)
        .map_err(err)?
        .label(name)
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
    Ok(())
}

pub fn line_chart(dir: &Path, d: &LineData) -> Result<Chart> {
    both(dir, &d.id, &d.title, &d.alt, d)
}

fn draw_lines<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &LineData) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(err)?;
    let n = d.x_labels.len().max(1);
    let vals = d.series.iter().flat_map(|s| s.values.iter().flatten().copied());
    let refv = d.reference.as_ref().map(|r| r.0);
    let (mut lo, mut hi) = vals.chain(refv).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if d.y_from_zero {
        lo = lo.min(0.0);
    }
    let pad = ((hi - lo) * 0.12).max(1e-9);
    let (lo, hi) = (if d.y_from_zero { lo } else { lo - pad }, hi + pad);
    let mut chart = ChartBuilder::on(root)
        .caption(&d.title, (FAMILY, 18).into_font().color(&theme::INK))
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(58)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo..hi)
        .map_err(err)?;
    let labels = d.x_labels.clone();
    let suffix = d.y_suffix.clone();
    chart
        .configure_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| category(&labels, *x, false))
        .y_label_formatter(&|y| format!("{}{}", crate::render::format::compact(*y), suffix))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(theme::GREY.mix(0.25))
        .label_style((FAMILY, 12).into_font().color(&theme::INK))
        .draw()
        .map_err(err)?;
    if let Some((v, label)) = &d.reference {
        let style = ShapeStyle::from(&theme::GREY).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new(vec![(-0.5, *v), (n as f64 - 0.5, *v)], 6, 4, style))
            .map_err(err)?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
    }
    for s in &d.series {
        let color = s.color;
        let pts: Vec<(f64, f64)> = s.values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i as f64, v))).collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), ShapeStyle::from(&color).stroke_width(2)))
            .map_err(err)?
            .label(s.name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], ShapeStyle::from(&color).stroke_width(2))
            });
        if d.markers {
            chart.draw_series(pts.iter().map(|p| Circle::new(*p, 3, color.filled()))).map_err(err)?;
        }
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

pub fn bar_chart(dir: &Path, d: &BarData) -> Result<Chart> {
    both(dir, &d.id, &d.title, &d.alt, d)
}

fn draw_bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &BarData) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(err)?;
    let n = d.categories.len().max(1);
    let hi = d.current.1.iter().chain(&d.previous.1).copied().fold(0.0, f64::max).max(1.0) * 1.12;
    let mut chart = ChartBuilder::on(root)
        .caption(&d.title, (FAMILY, 18).into_font().color(&theme::INK))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(170)
        .build_cartesian_2d(0f64..hi, -0.5f64..(n as f64 - 0.5))
        .map_err(err)?;
    // Largest on top: category i is drawn at y = n - 1 - i.
    let cats = d.categories.clone();
    chart
        .configure_mesh()
        .y_labels(n)
        .y_label_formatter(&|y| category(&cats, *y, true))
        .x_label_formatter(&|x| crate::render::format::compact(*x))
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(theme::GREY.mix(0.25))
        .label_style((FAMILY, 12).into_font().color(&theme::INK))
        .draw()
        .map_err(err)?;
    for (values, color, offset, name) in
        [(&d.current.1, theme::BLUE, 0.0, &d.current.0), (&d.previous.1, theme::ORANGE, -0.36, &d.previous.0)]
    {
        let rects: Vec<Rectangle<(f64, f64)>> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let y = (n - 1 - i) as f64;
                Rectangle::new([(0.0, y + offset), (*v, y + offset + 0.34)], color.filled())
            })
            .collect();
        swatch_series(&mut chart, rects, name, color)?;
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// Vertical bars over categories (a distribution, or one value per agent); bars whose
/// index is in `highlight` are drawn in the warning colour.
pub struct ColumnData {
    pub id: String,
    pub title: String,
    pub alt: String,
    pub categories: Vec<String>,
    pub values: Vec<f64>,
    pub highlight: Vec<usize>,
    pub y_label: String,
}

impl Draw for ColumnData {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(err)?;
        let n = self.categories.len().max(1);
        let hi = self.values.iter().copied().fold(0.0, f64::max).max(1.0) * 1.12;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 18).into_font().color(&theme::INK))
            .margin(12)
            .x_label_area_size(if n > 8 { 70 } else { 34 })
            .y_label_area_size(58)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..hi)
            .map_err(err)?;
        let cats = self.categories.clone();
        chart
            .configure_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| category(&cats, *x, false))
            .y_label_formatter(&|y| crate::render::format::compact(*y))
            .y_desc(self.y_label.as_str())
            .disable_x_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(theme::GREY.mix(0.25))
            .label_style((FAMILY, 11).into_font().color(&theme::INK))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(self.values.iter().enumerate().map(|(i, v)| {
                let color = if self.highlight.contains(&i) { theme::VERMILLION } else { theme::BLUE };
                Rectangle::new([(i as f64 - 0.38, 0.0), (i as f64 + 0.38, *v)], color.filled())
            }))
            .map_err(err)?;
        Ok(())
    }
}

pub fn column_chart(dir: &Path, d: &ColumnData) -> Result<Chart> {
    both(dir, &d.id, &d.title, &d.alt, d)
}

/// A grid of values (rows × columns) shaded from white (0) to blue (the maximum).
pub struct HeatData {
    pub id: String,
    pub title: String,
    pub alt: String,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    pub values: Vec<Vec<Option<f64>>>,
    /// Room for the row labels, in pixels.
    pub row_label_width: u32,
    /// Write each value in its cell, with this suffix ("%"); cells without a value are
    /// grey.
    pub annotate: Option<String>,
}

impl Draw for HeatData {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(err)?;
        let (nr, nc) = (self.rows.len().max(1), self.columns.len().max(1));
        let hi = self.values.iter().flatten().flatten().copied().fold(0.0, f64::max).max(1e-9);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 18).into_font().color(&theme::INK))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(self.row_label_width)
            .build_cartesian_2d(-0.5f64..(nc as f64 - 0.5), -0.5f64..(nr as f64 - 0.5))
            .map_err(err)?;
        let (rows, cols) = (self.rows.clone(), self.columns.clone());
        // Cells are centred on whole numbers, where the labels are.
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(nc)
            .y_labels(nr)
            .x_label_formatter(&|x| category(&cols, *x, false))
            .y_label_formatter(&|y| category(&rows, *y, true))
            .label_style((FAMILY, 11).into_font().color(&theme::INK))
            .draw()
            .map_err(err)?;
        let annotate = self.annotate.is_some();
        let cells = self.values.iter().enumerate().flat_map(|(r, row)| {
            row.iter().enumerate().map(move |(c, v)| {
                let t = v.unwrap_or(0.0) / hi;
                let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
                let color = match v {
                    None if annotate => RGBColor(235, 235, 235),
                    _ => RGBColor(mix(255, theme::BLUE.0), mix(255, theme::BLUE.1), mix(255, theme::BLUE.2)),
                };
                let (x, y) = (c as f64, (nr - 1 - r) as f64);
                Rectangle::new([(x - 0.48, y - 0.48), (x + 0.48, y + 0.48)], color.filled())
            })
        });
        chart.draw_series(cells).map_err(err)?;
        if let Some(suffix) = &self.annotate {
            let texts = self.values.iter().enumerate().flat_map(|(r, row)| {
                row.iter().enumerate().filter_map(move |(c, v)| {
                    let v = (*v)?;
                    // Dark cells get white text.
                    let ink = if v / hi > 0.55 { WHITE } else { theme::INK };
                    let style = (FAMILY, 12).into_font().color(&ink).pos(plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Center,
                        plotters::style::text_anchor::VPos::Center,
                    ));
                    Some(Text::new(format!("{v:.0}{suffix}"), (c as f64, (nr - 1 - r) as f64), style))
                })
            });
            chart.draw_series(texts).map_err(err)?;
        }
        Ok(())
    }
}

pub fn heat_chart(dir: &Path, d: &HeatData) -> Result<Chart> {
    both(dir, &d.id, &d.title, &d.alt, d)
}

/// Columns of shares stacked to 100% (the channel mix of each period).
pub struct StackData {
    pub id: String,
    pub title: String,
    pub alt: String,
    pub x_labels: Vec<String>,
    /// (name, colour, share in % per x label); a period without data has 0s.
    pub segments: Vec<(String, RGBColor, Vec<f64>)>,
}

impl Draw for StackData {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(err)?;
        let n = self.x_labels.len().max(1);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 18).into_font().color(&theme::INK))
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(48)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5) + 2.2, 0f64..100.0)
            .map_err(err)?;
        let labels = self.x_labels.clone();
        chart
            .configure_mesh()
            .x_labels(n + 3)
            .x_label_formatter(&|x| category(&labels, *x, false))
            .y_label_formatter(&|y| format!("{y:.0}%"))
            .disable_x_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(theme::GREY.mix(0.25))
            .label_style((FAMILY, 12).into_font().color(&theme::INK))
            .draw()
            .map_err(err)?;
        let mut base = vec![0.0; n];
        for (name, color, values) in &self.segments {
            let color = *color;
            let rects: Vec<Rectangle<(f64, f64)>> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let r =
                        Rectangle::new([(i as f64 - 0.35, base[i]), (i as f64 + 0.35, base[i] + v)], color.filled());
                    base[i] += v;
                    r
                })
                .collect();
            swatch_series(&mut chart, rects, name, color)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

pub fn stack_chart(dir: &Path, d: &StackData) -> Result<Chart> {
    both(dir, &d.id, &d.title, &d.alt, d)
}

/// A KPI's trend as a small line without axes; the last point is marked.
pub struct SparkData {
    pub id: String,
    pub alt: String,
    pub values: Vec<Option<f64>>,
}

pub const SPARK_SIZE: (u32, u32) = (120, 32);

impl Draw for SparkData {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(err)?;
        let n = self.values.len().max(2);
        let (lo, hi) =
            self.values.iter().flatten().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let pad = ((hi - lo) * 0.15).max(hi.abs() * 0.01).max(1e-9);
        let mut chart = ChartBuilder::on(root)
            .margin(4)
            .build_cartesian_2d(0f64..(n - 1) as f64, (lo - pad)..(hi + pad))
            .map_err(err)?;
        let pts: Vec<(f64, f64)> =
            self.values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i as f64, v))).collect();
        chart.draw_series(LineSeries::new(pts.clone(), ShapeStyle::from(&theme::BLUE).stroke_width(2))).map_err(err)?;
        if let Some(last) = pts.last() {
            chart.draw_series(std::iter::once(Circle::new(*last, 3, theme::BLUE.filled()))).map_err(err)?;
        }
        Ok(())
    }
}

pub fn sparkline(dir: &Path, d: &SparkData) -> Result<Chart> {
    both_sized(dir, &d.id, "", &d.alt, d, SPARK_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_text_renders_with_the_embedded_font() {
        // The title area of a chart has drawn (non-white) pixels: text renders with no
        // system font.
        let dir = tempfile::tempdir().unwrap();
        let d = ColumnData {
            id: "t".into(),
            title: "Title WWWWWWWW".into(),
            alt: String::new(),
            categories: vec!["a".into()],
            values: vec![1.0],
            highlight: vec![],
            y_label: String::new(),
        };
        column_chart(dir.path(), &d).unwrap();
        let bytes = std::fs::read(dir.path().join("t.png")).unwrap();
        let decoded = image_rows(&bytes);
        let (w, _) = theme::SIZE;
        // Title band: rows 8..30, the middle third of the width.
        let mut dark = 0;
        for y in 8..30 {
            for x in (w / 3)..(2 * w / 3) {
                let p = &decoded[(y * w + x) as usize];
                if p.0 < 200 || p.1 < 200 || p.2 < 200 {
                    dark += 1;
                }
            }
        }
        assert!(dark > 50, "no text drawn in the title area ({dark} dark pixels)");
    }

    /// RGB pixels of a PNG, decoded with the `image` crate plotters already uses.
    fn image_rows(png: &[u8]) -> Vec<(u8, u8, u8)> {
        let img = image::load_from_memory(png).unwrap().to_rgb8();
        img.pixels().map(|p| (p.0[0], p.0[1], p.0[2])).collect()
    }
}
