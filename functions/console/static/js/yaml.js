// A YAML rendering of a document, for reading (the raw view) and for diffs between versions.

const PLAIN = /^[A-Za-z_][A-Za-z0-9_ .@/-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|~)$/i;

function scalar(value) {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const text = String(value);
  if (text && PLAIN.test(text) && !RESERVED.test(text) && !/\s$/.test(text)) return text;
  return JSON.stringify(text);
}

function lines(value, indent) {
  const pad = "  ".repeat(indent);
  if (Array.isArray(value)) {
    if (!value.length) return [`${pad}[]`];
    return value.flatMap((item) => {
      if (item && typeof item === "object" && Object.keys(item).length) {
        const inner = lines(item, indent + 1);
        return [`${pad}- ${inner[0].trimStart()}`, ...inner.slice(1)];
      }
      return [`${pad}- ${block(item, indent + 1)}`];
    });
  }
  if (value && typeof value === "object") {
    const keys = Object.keys(value);
    if (!keys.length) return [`${pad}{}`];
    return keys.flatMap((key) => {
      const item = value[key];
      const name = PLAIN.test(key) && !RESERVED.test(key) ? key : JSON.stringify(key);
      if (item && typeof item === "object" && Object.keys(item).length) {
        return [`${pad}${name}:`, ...lines(item, indent + 1)];
      }
      return [`${pad}${name}: ${block(item, indent + 1)}`];
    });
  }
  return [`${pad}${scalar(value)}`];
}

function block(value, indent) {
  if (typeof value === "string" && value.includes("\n")) {
    const pad = "  ".repeat(indent);
    return `|-\n${value.split("\n").map((l) => (l ? pad + l : "")).join("\n")}`;
  }
  if (Array.isArray(value)) return "[]";
  if (value && typeof value === "object") return "{}";
  return scalar(value);
}

export function toYaml(value) {
  return `${lines(value, 0).join("\n")}\n`;
}
