/** What the postgres project's global setup hands to test files through inject(). */
declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}
export {};
