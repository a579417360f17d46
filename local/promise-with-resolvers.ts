/**
 * LOCAL MODE AND TESTS ONLY: `Promise.withResolvers` (ES2024) for Node 20, which aws-local-stepfunctions 3
 * calls when it times a Task state. Node 22 (the Lambda runtime) has it; nothing in lambdas/ uses it.
 * Import this module before aws-local-stepfunctions.
 */
type WithResolvers = <T>() => { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };

const PromiseWith = Promise as unknown as { withResolvers?: WithResolvers };
if (typeof PromiseWith.withResolvers !== 'function') {
  PromiseWith.withResolvers = <T>() => {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export {};
