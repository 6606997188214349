//! PDF evidence as page images. A user's PDF is rendered here, in Rust, by hayro (a pure-Rust
//! rasterizer with no script engine), and only PNG pages reach the webview: the PDF's scripts,
//! forms and links never run anywhere.

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{render, PixmapSettings, RenderCache, RenderSettings};

/// Pages shown at most; the viewer says how many more there are.
pub const MAX_PAGES: usize = 10;
/// 72 dpi PDF units to about 108 dpi: an ID card or a letter is readable in the viewer.
const SCALE: f32 = 1.5;
/// The longest side of a rendered page in pixels, whatever size the PDF claims.
const MAX_SIDE: f32 = 2400.0;

/// The first pages as PNG files, and how many pages the document has.
#[derive(Debug)]
pub struct Rendered {
    pub pages: Vec<Vec<u8>>,
    pub total: usize,
}

/// Renders the first [`MAX_PAGES`] pages. A file that is not a PDF hayro can read, or that makes
/// the renderer fail, is an error with a reason, never a crash of the console.
pub fn render_pages(bytes: Vec<u8>) -> Result<Rendered, String> {
    std::panic::catch_unwind(move || render_inner(bytes))
        .unwrap_or_else(|_| Err("the PDF could not be drawn (the renderer stopped on it)".into()))
}

fn render_inner(bytes: Vec<u8>) -> Result<Rendered, String> {
    let pdf = Pdf::new(bytes).map_err(|e| format!("not a PDF that can be shown ({e:?})"))?;
    let pages = pdf.pages();
    let cache = RenderCache::new();
    let mut out = Vec::new();
    for page in pages.iter().take(MAX_PAGES) {
        let (w, h) = page.render_dimensions();
        let longest = w.max(h).max(1.0);
        let scale = SCALE.min(MAX_SIDE / longest);
        let settings = PixmapSettings { x_scale: scale, y_scale: scale, bg_color: WHITE };
        let pixmap = render(page, &cache, &InterpreterSettings::default(), &RenderSettings::default(), &settings);
        out.push(pixmap.into_png().map_err(|e| format!("a page could not be encoded ({e:?})"))?);
    }
    if out.is_empty() {
        return Err("the PDF has no pages".into());
    }
    Ok(Rendered { pages: out, total: pages.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID_CARD: &[u8] = include_bytes!("../tests/fixtures/id-card.pdf");

    #[test]
    fn a_pdf_page_becomes_a_png_of_its_size_with_its_drawing() {
        let r = render_pages(ID_CARD.to_vec()).unwrap();
        assert_eq!((r.pages.len(), r.total), (1, 1));
        let png = &r.pages[0];
        assert_eq!(&png[1..4], b"PNG");
        // IHDR: width and height, big-endian, at bytes 16..24: 300×200 pt at 1.5.
        let dim = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
        assert_eq!((dim(16), dim(20)), (450, 300));
    }

    #[test]
    fn what_is_not_a_pdf_is_an_error_not_a_crash() {
        for bad in [b"".to_vec(), b"%PDF-1.4\ngarbage".to_vec(), b"<script>alert(1)</script>".to_vec()] {
            assert!(render_pages(bad).is_err());
        }
    }

    /// A PDF of `n` empty pages of 100×100 pt.
    fn pages(n: usize) -> Vec<u8> {
        let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", i + 3)).collect();
        let mut objs = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")),
        ];
        objs.extend((0..n).map(|_| "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>".to_string()));
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, o) in objs.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objs.len() + 1).as_bytes(),
        );
        out
    }

    #[test]
    fn a_long_pdf_shows_its_first_ten_pages_and_says_how_many_there_are() {
        let r = render_pages(pages(12)).unwrap();
        assert_eq!((r.pages.len(), r.total), (MAX_PAGES, 12));
        let r = render_pages(pages(3)).unwrap();
        assert_eq!((r.pages.len(), r.total), (3, 3));
    }
}
