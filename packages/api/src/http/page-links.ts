/**
 * REST page links. Domain listings answer with page numbers; the REST answer
 * adds `next` and `previous` links (the contract's form), built here at the
 * edge from the request's own parameters.
 */

const PAGING_PARAMS = new Set(['page', 'page_size', 'skip', 'limit']);

interface Paged {
  num_pages: number;
  current_page: number;
}

/** Adds relative links to the neighbouring pages, keeping every other parameter of the request. */
export function withPageLinks<T extends Paged>(
  page: T,
  path: string,
  params: Record<string, unknown>,
  pageSize: number,
): T & { next: string | null; previous: string | null } {
  const link = (n: number) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value === undefined || value === null || PAGING_PARAMS.has(key)) continue;
      // Full precision: a link must name the same moment (as_of) and window as this page.
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- parsed query parameters: scalars, or lists that String joins with commas as they came
      query.set(key, value instanceof Date ? value.toISOString() : String(value));
    }
    query.set('page', String(n));
    query.set('page_size', String(pageSize));
    return `${path}?${query.toString()}`;
  };
  return {
    ...page,
    next: page.current_page < page.num_pages ? link(page.current_page + 1) : null,
    previous: page.current_page > 1 ? link(Math.min(page.current_page - 1, page.num_pages)) : null,
  };
}
