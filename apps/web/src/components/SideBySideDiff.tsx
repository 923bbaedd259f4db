import { Fragment } from 'react';

export interface FieldDiff {
  version_1?: unknown;
  version_2?: unknown;
  ops?: { op: 'equal' | 'insert' | 'delete'; text: string }[] | undefined;
}

const show = (value: unknown) => (value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/**
 * Two versions side by side, as Wikipedia shows them: the older text on the
 * left with what was removed in <del>, the newer on the right with what was
 * added in <ins>; text fields word by word, other fields as a whole.
 */
export function SideBySideDiff({ diff, older, newer }: { diff: Record<string, FieldDiff>; older: string; newer: string }) {
  const fields = Object.entries(diff);
  if (fields.length === 0) return <p>These versions have the same content.</p>;
  return (
    <table className="diff">
      <caption className="visually-hidden">Differences between the chosen versions</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">{older}</th>
          <th scope="col">{newer}</th>
        </tr>
      </thead>
      <tbody>
        {fields.map(([field, d]) => (
          <tr key={field}>
            <th scope="row">{field.replace(/_/g, ' ')}</th>
            <td className="old">
              {d.ops
                ? d.ops.map((o, i) =>
                    o.op === 'insert' ? null : o.op === 'delete' ? <del key={i}>{o.text}</del> : <Fragment key={i}>{o.text}</Fragment>,
                  )
                : show(d.version_1) && <del>{show(d.version_1)}</del>}
            </td>
            <td className="new">
              {d.ops
                ? d.ops.map((o, i) =>
                    o.op === 'delete' ? null : o.op === 'insert' ? <ins key={i}>{o.text}</ins> : <Fragment key={i}>{o.text}</Fragment>,
                  )
                : show(d.version_2) && <ins>{show(d.version_2)}</ins>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
