//! Reading a buffer back to the host: the one place that waits on the device.

/// Map `buffer` (created with `MAP_READ`) once `submission` has finished, copy its bytes out
/// and unmap it.
///
/// Blocks the calling thread until the device has executed `submission`; on a shared device
/// that may include other users' work submitted before it.
///
/// # Errors
/// [`crate::GpuError::Readback`] when the device is lost or the buffer cannot be mapped.
pub fn read_buffer(
    device: &wgpu::Device,
    buffer: &wgpu::Buffer,
    submission: wgpu::SubmissionIndex,
    what: &'static str,
) -> Result<Vec<u8>, crate::GpuError> {
    let failed = |message: String| crate::GpuError::Readback { kernel: what, message };
    let slice = buffer.slice(..);
    // The callback runs inside `poll`, on this thread; one slot is all it needs.
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    slice.map_async(wgpu::MapMode::Read, move |result| {
        // The receiver outlives the poll below, so a failed send cannot happen.
        let _ = sender.send(result);
    });
    device
        .poll(wgpu::PollType::Wait { submission_index: Some(submission), timeout: None })
        .map_err(|err| failed(err.to_string()))?;
    receiver
        .recv()
        .map_err(|_| failed("the device never answered the map request".into()))?
        .map_err(|err| failed(err.to_string()))?;
    let bytes = slice.get_mapped_range().map_err(|err| failed(err.to_string()))?.to_vec();
    buffer.unmap();
    Ok(bytes)
}
