//! Videos filmed on a phone held upright are stored sideways with a display matrix saying how
//! to turn them. FFmpeg's own players turn them; so does Augur, after the RGB conversion.

use ffmpeg_next as ff;

/// How a stream asks to be turned clockwise before it is shown: 0, 90, 180 or 270 degrees.
pub(crate) fn turn_of(stream: &ff::format::stream::Stream) -> u16 {
    stream
        .side_data()
        .find(|d| d.kind() == ff::codec::packet::side_data::Type::DisplayMatrix)
        .and_then(|d| turn_from_matrix(d.data()))
        .unwrap_or(0)
}

/// The clockwise turn a 3×3 display matrix (nine native-endian i32, 16.16 fixed point) asks
/// for, to the nearest quarter; `None` for a matrix too short or degenerate.
fn turn_from_matrix(bytes: &[u8]) -> Option<u16> {
    let m: Vec<f64> = bytes
        .chunks_exact(4)
        .take(9)
        .map(|b| f64::from(i32::from_ne_bytes([b[0], b[1], b[2], b[3]])) / 65536.0)
        .collect();
    if m.len() < 9 {
        return None;
    }
    let (sx, sy) = (m[0].hypot(m[3]), m[1].hypot(m[4]));
    if sx == 0.0 || sy == 0.0 {
        return None;
    }
    // FFmpeg's av_display_rotation_get negates this angle to give the counter-clockwise turn
    // the matrix describes; turning the picture back upright is this angle clockwise (checked
    // against `ffmpeg -i`'s own autorotation in the capture tests).
    let clockwise = (m[1] / sy).atan2(m[0] / sx).to_degrees();
    let quarters = (clockwise / 90.0).round().rem_euclid(4.0);
    Some((quarters as u16) * 90)
}

/// `rgb` (`w`×`h`, packed) turned clockwise by `turn` degrees, with its new size.
pub(crate) fn turned(rgb: Vec<u8>, w: usize, h: usize, turn: u16) -> (Vec<u8>, usize, usize) {
    let at = |x: usize, y: usize| 3 * (y * w + x);
    let (ow, oh) = if turn % 180 == 90 { (h, w) } else { (w, h) };
    if turn == 0 {
        return (rgb, w, h);
    }
    let mut out = vec![0u8; rgb.len()];
    for oy in 0..oh {
        for ox in 0..ow {
            // Where the output pixel comes from in the stored picture.
            let (x, y) = match turn {
                90 => (oy, h - 1 - ox),
                180 => (w - 1 - ox, h - 1 - oy),
                _ => (w - 1 - oy, ox),
            };
            let o = 3 * (oy * ow + ox);
            out[o..o + 3].copy_from_slice(&rgb[at(x, y)..at(x, y) + 3]);
        }
    }
    (out, ow, oh)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A display matrix of a rotation by `degrees`, laid out as FFmpeg stores one.
    fn matrix(degrees: f64) -> Vec<u8> {
        let (s, c) = degrees.to_radians().sin_cos();
        let fixed = |v: f64| ((v * 65536.0).round() as i32).to_ne_bytes();
        [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0]
            .iter()
            .enumerate()
            .flat_map(|(i, v)| if i == 8 { (1i32 << 30).to_ne_bytes() } else { fixed(*v) })
            .collect()
    }

    #[test]
    fn the_matrix_says_which_quarter_turn() {
        assert_eq!(turn_from_matrix(&matrix(0.0)), Some(0));
        assert_eq!(turn_from_matrix(&matrix(-90.0)), Some(90));
        assert_eq!(turn_from_matrix(&matrix(180.0)), Some(180));
        assert_eq!(turn_from_matrix(&matrix(90.0)), Some(270));
        assert_eq!(turn_from_matrix(&[0u8; 8]), None);
    }

    #[test]
    fn pixels_turn_clockwise() {
        // 2×1: red then green. Turned 90° clockwise: 1×2, red on top.
        let rgb = vec![255, 0, 0, 0, 255, 0];
        assert_eq!(turned(rgb.clone(), 2, 1, 90), (vec![255, 0, 0, 0, 255, 0], 1, 2));
        assert_eq!(turned(rgb.clone(), 2, 1, 270), (vec![0, 255, 0, 255, 0, 0], 1, 2));
        assert_eq!(turned(rgb.clone(), 2, 1, 180), (vec![0, 255, 0, 255, 0, 0], 2, 1));
        assert_eq!(turned(rgb.clone(), 2, 1, 0), (rgb, 2, 1));
    }
}
