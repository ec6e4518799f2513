//! Error scopes around device work. wgpu hands an error that no scope catches to its default
//! handler, which panics; an out-of-memory error on a large frame would take the process down.

/// Catches every kind of error wgpu reports (validation, out of memory, internal) from its
/// creation until [`Caught::error`], on this thread.
#[derive(Debug)]
pub struct Caught {
    /// In the order pushed; popped in reverse, as wgpu's scopes are a stack.
    scopes: Vec<wgpu::ErrorScopeGuard>,
}

impl Caught {
    /// Starts catching on `device`.
    pub fn new(device: &wgpu::Device) -> Self {
        let filters = [wgpu::ErrorFilter::Validation, wgpu::ErrorFilter::OutOfMemory, wgpu::ErrorFilter::Internal];
        Self { scopes: filters.into_iter().map(|filter| device.push_error_scope(filter)).collect() }
    }

    /// Stops catching and returns the first error caught, if any (waits for the device to
    /// say).
    pub fn error(mut self) -> Option<wgpu::Error> {
        let mut first = None;
        for scope in std::mem::take(&mut self.scopes).into_iter().rev() {
            // Popped innermost first; the outermost error that was caught wins.
            if let Some(error) = pollster::block_on(scope.pop()) {
                first = Some(error);
            }
        }
        first
    }
}

impl Drop for Caught {
    /// Pops the scopes innermost first when [`Caught::error`] was not called (an early return):
    /// a `Vec` drops its guards outermost first, and wgpu panics on scopes popped out of order.
    fn drop(&mut self) {
        while let Some(scope) = self.scopes.pop() {
            drop(scope);
        }
    }
}
