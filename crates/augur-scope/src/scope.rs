//! [`Scope`]: one egui context and one egui-wgpu renderer drawing into an offscreen texture.

use std::collections::HashMap;

use egui_wgpu::{Renderer, RendererOptions, ScreenDescriptor};

use crate::error::ScopeError;
use crate::image::RgbaImage;

/// The offscreen target's format. egui-wgpu blends in gamma space when the target is not
/// sRGB (its `fs_main_gamma_framebuffer`), which is how egui's colours and anti-aliasing are
/// designed; the bytes read back are then already sRGB-encoded, ready for a PNG or a canvas
/// with no conversion. An `*Srgb` target would blend in linear space and look subtly
/// different from every other egui integration.
const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// Filled before egui draws: opaque, so the streamed image never shows through to the page.
const CLEAR: wgpu::Color = wgpu::Color::BLACK;

/// Sampling for video frames: linear, since frames are shown scaled.
const FRAME_OPTIONS: egui::TextureOptions = egui::TextureOptions::LINEAR;
/// The UI scales a render takes: far past HiDPI, a glyph outgrows egui's font atlas (a panic).
const MIN_SCALE: f32 = 0.25;
const MAX_SCALE: f32 = 8.0;
/// Pointer events kept for the next render (see `Scope::queue`).
pub const MAX_QUEUED_EVENTS: usize = 256;

/// A video frame uploaded with [`Scope::set_frame_texture`], ready for `ui.image(..)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameTexture {
    /// egui's id for the texture.
    pub id: egui::TextureId,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
}

impl FrameTexture {
    /// Width over height.
    pub fn aspect(&self) -> f32 {
        self.width as f32 / self.height as f32
    }
}

/// egui panels drawn offscreen on the shared device and read back as [`RgbaImage`]s.
///
/// Owns one egui [`egui::Context`] (state such as scroll positions carries across frames)
/// and one egui-wgpu renderer; holds clones of the shared device and queue. Drive it from
/// one thread.
pub struct Scope {
    device: wgpu::Device,
    queue: wgpu::Queue,
    ctx: egui::Context,
    renderer: Renderer,
    target: Option<Target>,
    frames: HashMap<String, (egui::TextureHandle, FrameTexture)>,
    /// Pointer input forwarded from the page, handed to egui with the next frame.
    events: Vec<egui::Event>,
}

/// Pointer input from wherever the image is shown, in points from its top left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PointerInput {
    /// The pointer moved to (`x`, `y`).
    Move {
        /// Points from the left edge.
        x: f32,
        /// Points from the top edge.
        y: f32,
    },
    /// The primary button went down at (`x`, `y`).
    Down {
        /// Points from the left edge.
        x: f32,
        /// Points from the top edge.
        y: f32,
    },
    /// The primary button came up at (`x`, `y`).
    Up {
        /// Points from the left edge.
        x: f32,
        /// Points from the top edge.
        y: f32,
    },
    /// The wheel turned at (`x`, `y`).
    Wheel {
        /// Points from the left edge.
        x: f32,
        /// Points from the top edge.
        y: f32,
        /// Points turned; positive is towards the user (zoom in).
        dy: f32,
    },
    /// The pointer left the image.
    Leave,
}

/// The offscreen texture and its readback buffer, reused while the size stays the same.
struct Target {
    width: u32,
    height: u32,
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    readback: wgpu::Buffer,
    /// Texture-to-buffer copies need rows aligned to 256 bytes.
    padded_row: u32,
}

impl Scope {
    /// A scope on the app's shared device.
    pub fn new(gpu: &augur_gpu::GpuContext) -> Self {
        Self::with_device(&gpu.device, &gpu.queue)
    }

    /// A scope on any device and queue (cloned: wgpu handles are reference-counted).
    pub fn with_device(device: &wgpu::Device, queue: &wgpu::Queue) -> Self {
        let ctx = egui::Context::default();
        // A fixed theme: the image must not depend on the desktop the app runs on.
        ctx.set_theme(egui::Theme::Dark);
        // Predictable: no dithering noise and egui's own texture filtering, so the same scene
        // gives the same pixels on every adapter and golden images hold.
        let renderer = Renderer::new(device, FORMAT, RendererOptions::PREDICTABLE);
        Self {
            device: device.clone(),
            queue: queue.clone(),
            ctx,
            renderer,
            target: None,
            frames: HashMap::new(),
            events: Vec::new(),
        }
    }

    /// The egui context, e.g. to change style or fonts.
    pub fn context(&self) -> &egui::Context {
        &self.ctx
    }

    /// Upload (or replace) the video frame called `name`: `rgb` is `width × height × 3` bytes,
    /// row-major, sRGB. Reuses the texture when one of that name exists.
    ///
    /// # Errors
    /// [`ScopeError::Frame`] when the length does not match the size or the size exceeds the
    /// device's texture limit.
    pub fn set_frame_texture(
        &mut self,
        name: &str,
        width: u32,
        height: u32,
        rgb: &[u8],
    ) -> Result<FrameTexture, ScopeError> {
        let invalid = |reason: String| ScopeError::Frame { name: name.to_owned(), reason };
        let max = self.device.limits().max_texture_dimension_2d;
        if width == 0 || height == 0 || width > max || height > max {
            return Err(invalid(format!("size {width}x{height} is outside 1..={max}")));
        }
        let expected = width as usize * height as usize * 3;
        if rgb.len() != expected {
            return Err(invalid(format!("a {width}x{height} RGB8 frame has {expected} bytes, got {}", rgb.len())));
        }
        let image = egui::ColorImage::from_rgb([width as usize, height as usize], rgb);
        let frame = match self.frames.get_mut(name) {
            Some((handle, frame)) => {
                handle.set(image, FRAME_OPTIONS);
                *frame = FrameTexture { id: handle.id(), width, height };
                *frame
            }
            None => {
                let handle = self.ctx.load_texture(name, image, FRAME_OPTIONS);
                let frame = FrameTexture { id: handle.id(), width, height };
                self.frames.insert(name.to_owned(), (handle, frame));
                frame
            }
        };
        Ok(frame)
    }

    /// Queues pointer input for the next [`Scope::render`], so hover, drag and wheel work on an
    /// image shown elsewhere (the page forwards its canvas's events).
    pub fn pointer(&mut self, input: PointerInput) {
        let button = |pos: egui::Pos2, pressed: bool| egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::default(),
        };
        match input {
            PointerInput::Move { x, y } => self.queue(egui::Event::PointerMoved(egui::pos2(x, y))),
            PointerInput::Down { x, y } => self.queue(button(egui::pos2(x, y), true)),
            PointerInput::Up { x, y } => self.queue(button(egui::pos2(x, y), false)),
            PointerInput::Wheel { x, y, dy } => {
                self.queue(egui::Event::PointerMoved(egui::pos2(x, y)));
                self.queue(egui::Event::MouseWheel {
                    unit: egui::MouseWheelUnit::Point,
                    delta: egui::vec2(0.0, dy),
                    phase: egui::TouchPhase::Move,
                    source: egui::MouseWheelSource::Wheel,
                    modifiers: egui::Modifiers::default(),
                });
            }
            PointerInput::Leave => self.queue(egui::Event::PointerGone),
        }
    }

    /// Queues one event, keeping the newest [`MAX_QUEUED_EVENTS`]: a page may send input while
    /// nothing is rendered, and a backlog would replay every stale click and zoom at once.
    fn queue(&mut self, event: egui::Event) {
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.events.drain(..=self.events.len() - MAX_QUEUED_EVENTS);
        }
        self.events.push(event);
    }

    /// The frame called `name`, if one was set.
    pub fn frame_texture(&self, name: &str) -> Option<FrameTexture> {
        self.frames.get(name).map(|(_, frame)| *frame)
    }

    /// Forget the frame called `name`; its texture is freed after the next render.
    pub fn remove_frame_texture(&mut self, name: &str) {
        self.frames.remove(name);
    }

    /// Run one egui frame of `width × height` physical pixels with `ui_fn` drawing into the
    /// root [`egui::Ui`], render it on the device and read it back.
    ///
    /// `pixels_per_point` scales the UI (2.0 on a HiDPI canvas). Blocks until the image is
    /// back; call it from the scope thread, not the UI thread.
    ///
    /// # Errors
    /// [`ScopeError::Size`] for an empty or too large image or a bad scale factor,
    /// [`ScopeError::Render`] when the device rejects the pass, [`ScopeError::Gpu`] when the
    /// readback fails.
    pub fn render(
        &mut self,
        width: u32,
        height: u32,
        pixels_per_point: f32,
        ui_fn: impl FnMut(&mut egui::Ui),
    ) -> Result<RgbaImage, ScopeError> {
        let max = self.device.limits().max_texture_dimension_2d;
        let size_error = |reason: String| ScopeError::Size { width, height, reason };
        if width == 0 || height == 0 || width > max || height > max {
            return Err(size_error(format!("each side must be in 1..={max}")));
        }
        if !(MIN_SCALE..=MAX_SCALE).contains(&pixels_per_point) {
            return Err(size_error(format!(
                "pixels_per_point {pixels_per_point} must be in {MIN_SCALE}..={MAX_SCALE}"
            )));
        }
        let readback = u64::from((width * 4).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT)) * u64::from(height);
        if readback > self.device.limits().max_buffer_size {
            return Err(size_error(format!("its readback ({readback} bytes) is larger than the device's buffers")));
        }

        let input = self.raw_input(width, height, pixels_per_point);
        let mut output = self.ctx.run_ui(input, ui_fn);
        let mut textures = std::mem::take(&mut output.textures_delta);
        let jobs = self.ctx.tessellate(std::mem::take(&mut output.shapes), output.pixels_per_point);
        // egui requires new textures uploaded before painting and freed ones dropped after.
        let caught = augur_gpu::Caught::new(&self.device);
        for (id, deltas) in &textures.set {
            for delta in deltas {
                self.renderer.update_texture(&self.device, &self.queue, *id, delta);
            }
        }
        if let Some(err) = caught.error() {
            return Err(ScopeError::Render(format!("a texture could not be uploaded ({err})")));
        }
        let image = self.draw(width, height, output.pixels_per_point, &jobs);
        for id in &textures.free {
            self.renderer.free_texture(id);
        }
        textures.clear();
        image
    }

    fn raw_input(&mut self, width: u32, height: u32, pixels_per_point: f32) -> egui::RawInput {
        let size = egui::vec2(width as f32, height as f32) / pixels_per_point;
        let mut input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)),
            max_texture_side: Some(self.device.limits().max_texture_dimension_2d as usize),
            events: std::mem::take(&mut self.events),
            ..Default::default()
        };
        if let Some(viewport) = input.viewports.get_mut(&egui::ViewportId::ROOT) {
            viewport.native_pixels_per_point = Some(pixels_per_point);
        }
        input
    }

    fn draw(
        &mut self,
        width: u32,
        height: u32,
        pixels_per_point: f32,
        jobs: &[egui::ClippedPrimitive],
    ) -> Result<RgbaImage, ScopeError> {
        let caught = augur_gpu::Caught::new(&self.device);
        if self.target.as_ref().is_none_or(|t| (t.width, t.height) != (width, height)) {
            self.target = Some(Target::new(&self.device, width, height));
        }
        let Some(target) = self.target.as_ref() else {
            return Err(ScopeError::Render("offscreen target missing".into()));
        };
        let screen = ScreenDescriptor { size_in_pixels: [width, height], pixels_per_point };

        let mut encoder =
            self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("augur scope") });
        let callbacks = self.renderer.update_buffers(&self.device, &self.queue, &mut encoder, jobs, &screen);
        {
            let mut pass = encoder
                .begin_render_pass(&wgpu::RenderPassDescriptor {
                    label: Some("augur scope"),
                    color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                        view: &target.view,
                        depth_slice: None,
                        resolve_target: None,
                        ops: wgpu::Operations { load: wgpu::LoadOp::Clear(CLEAR), store: wgpu::StoreOp::Store },
                    })],
                    ..Default::default()
                })
                // egui-wgpu's render takes a 'static pass; the encoder is not touched until
                // the pass is dropped at the end of this block.
                .forget_lifetime();
            self.renderer.render(&mut pass, jobs, &screen);
        }
        encoder.copy_texture_to_buffer(
            wgpu::TexelCopyTextureInfo {
                texture: &target.texture,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            wgpu::TexelCopyBufferInfo {
                buffer: &target.readback,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(target.padded_row),
                    rows_per_image: Some(height),
                },
            },
            target.texture.size(),
        );
        let submission = self.queue.submit(callbacks.into_iter().chain([encoder.finish()]));
        if let Some(err) = caught.error() {
            // A target that could not be made (out of memory) is made again next time.
            self.target = None;
            return Err(ScopeError::Render(err.to_string()));
        }

        let padded = augur_gpu::readback::read_buffer(&self.device, &target.readback, submission, "scope render")?;
        let row = width as usize * 4;
        let pixels =
            padded.chunks(target.padded_row as usize).flat_map(|padded_row| &padded_row[..row]).copied().collect();
        Ok(RgbaImage { width, height, pixels })
    }
}

impl Target {
    fn new(device: &wgpu::Device, width: u32, height: u32) -> Self {
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("augur scope target"),
            size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: FORMAT,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let padded_row = (width * 4).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
        let readback = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("augur scope readback"),
            size: u64::from(padded_row) * u64::from(height),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Self { width, height, texture, view, readback, padded_row }
    }
}
