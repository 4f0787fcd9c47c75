import { DeviceLostError } from '../src/errors';
import type { OrtModule } from '../src/runtime';

/** The text of a device-lost error that onnxruntime or the browser raised without the device's `lost` promise having been seen. */
const LOST_TEXT = /device (is |was )?lost|GPUDevice.*(lost|destroyed)|DXGI_ERROR_DEVICE/i;

export const lostMessage = (detail: string): string => `the GPU device was lost (${detail}); the engine restarts for the next job`;

/** A job's error as the page should see it: a lost device becomes a DeviceLostError, anything else is kept. */
export const asDeviceLost = (err: unknown): unknown => (err instanceof Error && err.name !== 'DeviceLostError' && LOST_TEXT.test(err.message) ? new DeviceLostError(lostMessage(err.message)) : err);

/** onnxruntime sets `env.webgpu.device` once its WebGPU EP has made a device (first WebGPU session). */
const ortDevice = async (ort: OrtModule): Promise<GPUDevice | undefined> => (await (ort.env.webgpu as { device?: GPUDevice | Promise<GPUDevice> } | undefined)?.device) ?? undefined;

/**
 * Watches the GPUDevice onnxruntime uses through its `lost` promise. `lost` rejects with a
 * DeviceLostError once the device is gone, so a job racing it ends at once even if onnxruntime's
 * pending GPU work never settles; it never settles while the device lives (or on wasm).
 */
export function deviceWatch(ort: OrtModule) {
  let watched: GPUDevice | undefined;
  let reject: (err: DeviceLostError) => void = () => {};
  const lost = new Promise<never>((_, r) => (reject = r));
  lost.catch(() => undefined);
  return {
    lost,
    /** Starts watching once onnxruntime has a device; called again until it has one. */
    async attach(): Promise<void> {
      const device = watched ? undefined : await ortDevice(ort);
      if (!device || watched) return;
      watched = device;
      void device.lost.then((info) => reject(new DeviceLostError(lostMessage(`${info.reason}${info.message ? `: ${info.message}` : ''}`))));
    },
    /** Test hook (`?loseDeviceAtStep=`): destroys the device as a driver reset would. */
    async destroy(): Promise<void> {
      (await ortDevice(ort))?.destroy();
    },
  };
}

export type DeviceWatch = ReturnType<typeof deviceWatch>;
