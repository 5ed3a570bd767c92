// SMS length: GSM-7 (160 characters in one part, 153 per part when split; the extension table
// counts double) or, with any other character, UCS-2 (70, then 67 per part; characters outside
// the Basic Multilingual Plane, emoji, take two).

const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENDED = "^{}\\[~]|€\f";
const BASIC = new Set(GSM_BASIC);
const EXTENDED = new Set(GSM_EXTENDED);

/** {encoding: "GSM-7"|"UCS-2", characters, units, segments, perSegment, remaining} */
export function smsLength(text) {
  let gsm = true;
  let units = 0;
  for (const ch of text) {
    if (BASIC.has(ch)) units += 1;
    else if (EXTENDED.has(ch)) units += 2;
    else {
      gsm = false;
      break;
    }
  }
  const characters = [...text].length;
  if (!gsm) units = text.length; // UTF-16 code units: an emoji is two
  const single = gsm ? 160 : 70;
  const multi = gsm ? 153 : 67;
  const segments = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / multi);
  const capacity = segments <= 1 ? single : segments * multi;
  return {
    encoding: gsm ? "GSM-7" : "UCS-2",
    characters,
    units,
    segments,
    perSegment: segments <= 1 ? single : multi,
    remaining: capacity - units,
  };
}
