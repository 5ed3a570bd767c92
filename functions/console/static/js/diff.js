// A line diff (longest common subsequence), laid out side by side.

/** Rows [{kind: same|changed|removed|added, old, new, oldNo, newNo}] for two texts. */
export function sideBySide(oldText, newText) {
  const a = oldText.split("\n");
  const b = newText.split("\n");
  const n = a.length;
  const m = b.length;
  // lengths[i][j]: LCS of a[i:] and b[j:] (documents are small: a few hundred lines)
  const lengths = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i][j] = a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const ops = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    // removals before additions, so that a replaced line pairs up as "changed" below
    if (i < n && j < m && a[i] === b[j]) ops.push({ kind: "same", old: a[i++], new: b[j++] });
    else if (i < n && (j === m || lengths[i + 1][j] >= lengths[i][j + 1])) ops.push({ kind: "removed", old: a[i++] });
    else ops.push({ kind: "added", new: b[j++] });
  }
  // a run of removals followed by additions reads best as changed lines, paired up
  const rows = [];
  for (let k = 0; k < ops.length; ) {
    if (ops[k].kind !== "removed") {
      rows.push(ops[k++]);
      continue;
    }
    const removed = [];
    while (k < ops.length && ops[k].kind === "removed") removed.push(ops[k++].old);
    const added = [];
    while (k < ops.length && ops[k].kind === "added") added.push(ops[k++].new);
    for (let p = 0; p < Math.max(removed.length, added.length); p++) {
      const kind = p < removed.length && p < added.length ? "changed" : p < removed.length ? "removed" : "added";
      rows.push({ kind, old: removed[p], new: added[p] });
    }
  }
  let oldNo = 0;
  let newNo = 0;
  for (const row of rows) {
    if (row.old !== undefined) row.oldNo = ++oldNo;
    if (row.new !== undefined) row.newNo = ++newNo;
  }
  return rows;
}
