/**
 * Runs async tasks one at a time, in the order they were queued. onnxruntime-web refuses a second
 * session create or run while one is in flight ("Session already started"), so every call goes here.
 */
export function createQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(task);
    tail = result.catch(() => undefined);
    return result;
  };
}
