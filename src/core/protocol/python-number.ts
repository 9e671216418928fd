/**
 * How Python writes a number that came from JSON, for both json.dumps and
 * repr. An integral JS number is taken as a Python int (JSON.parse gives no
 * way to tell 1 from 1.0), written in full the way Python prints ints, where
 * JS would switch to exponent form past 1e21. Anything else is a float, in
 * the shortest round-tripping digits (the same digits JS picks) laid out by
 * float.__repr__: exponent form below 1e-4 or from 1e16 up, and the exponent
 * has a sign and at least two digits ("1e-05", "1.5e+16").
 */
export function pythonNumber(n: number): string {
  if (Number.isInteger(n)) return BigInt(n).toString();
  const [mantissa = '', exponentText = '0'] = n.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 16) return String(n);
  const sign = exponent < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}
