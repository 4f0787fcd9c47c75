import { describe, expect, it } from 'vitest';
import { asDeviceLost, deviceWatch } from '../../workers/device-loss';
import type { OrtModule } from '../../src/runtime';

/** A GPUDevice stand-in whose destroy() resolves `lost` as a browser does. */
function fakeDevice() {
  let resolve: (info: { reason: string; message: string }) => void = () => {};
  const lost = new Promise<{ reason: string; message: string }>((r) => (resolve = r));
  return { lost, destroyed: false, destroy() { this.destroyed = true; resolve({ reason: 'destroyed', message: 'Device was destroyed.' }); } };
}

const ortWith = (device?: unknown) => ({ env: { webgpu: device === undefined ? {} : { device } } }) as unknown as OrtModule;

describe('deviceWatch', () => {
  it("rejects `lost` with a DeviceLostError once onnxruntime's device is destroyed", async () => {
    const device = fakeDevice();
    const watch = deviceWatch(ortWith(device));
    await watch.attach();
    await watch.destroy();
    expect(device.destroyed).toBe(true);
    await expect(watch.lost).rejects.toMatchObject({ name: 'DeviceLostError', message: 'the GPU device was lost (destroyed: Device was destroyed.); the engine restarts for the next job' });
  });

  it('never settles while onnxruntime has no device (wasm, or before its first WebGPU session)', async () => {
    const watch = deviceWatch(ortWith());
    await watch.attach();
    await watch.destroy();
    const settled = await Promise.race([watch.lost.then(() => true, () => true), new Promise((r) => setTimeout(() => r(false), 20))]);
    expect(settled).toBe(false);
  });
});

describe('asDeviceLost', () => {
  it('turns an error that says the device is lost into a DeviceLostError and keeps any other', () => {
    const lost = asDeviceLost(new Error('failed to call OrtRun(). ERROR_MESSAGE: WebGPU device is lost')) as Error;
    expect([lost.name, lost.message]).toEqual(['DeviceLostError', 'the GPU device was lost (failed to call OrtRun(). ERROR_MESSAGE: WebGPU device is lost); the engine restarts for the next job']);
    const other = new Error('shape mismatch');
    expect(asDeviceLost(other)).toBe(other);
  });
});
