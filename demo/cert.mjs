// The demo's self-signed HTTPS certificate: phones and laptops on the LAN need https for the camera,
// the microphone and WebCrypto, and a certificate kept on disk, so that the browser exception each
// device accepts once survives restarts. node:crypto makes keys but not X.509 certificates: `selfsigned` does.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { hostname, networkInterfaces } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";

/** Renewed this long before it expires, so a running demo never serves an expired one. */
const RENEW_BEFORE_MS = 14 * 24 * 3600 * 1000;
const VALID_DAYS = 365;

/** This machine's IPv4 addresses that other devices can reach (not loopback). */
export function lanAddresses() {
  const found = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) {
      // `family` was the number 4 in Node 18.0-18.3.
      const v4 = address.family === "IPv4" || address.family === 4;
      if (v4 && !address.internal) found.push(address.address);
    }
  }
  return found;
}

/** Names and addresses the certificate must cover: loopback, this machine's name, every LAN address. */
export function certificateNames(lan = lanAddresses()) {
  const host = hostname();
  const dns = ["localhost", host, `${host}.local`].filter((name, i, all) => name && all.indexOf(name) === i);
  return { dns, ips: ["127.0.0.1", "::1", ...lan] };
}

function covers(cert, { dns, ips }) {
  const san = cert.subjectAltName ?? "";
  const has = (entry) => san.split(", ").includes(entry);
  // Node prints IPv6 SANs expanded; ::1 is ours anyway, so only the names and IPv4s decide.
  return dns.every((name) => has(`DNS:${name}`)) && ips.filter((ip) => ip.includes(".")).every((ip) => has(`IP Address:${ip}`));
}

function readCached(dir, names) {
  try {
    const key = readFileSync(join(dir, "key.pem"), "utf8");
    const cert = readFileSync(join(dir, "cert.pem"), "utf8");
    const x509 = new X509Certificate(cert);
    const fresh = Date.parse(x509.validTo) - Date.now() > RENEW_BEFORE_MS;
    return fresh && covers(x509, names) ? { key, cert, fingerprint: x509.fingerprint256, created: false } : null;
  } catch {
    return null;
  }
}

/**
 * The certificate in `dir` (key.pem, cert.pem), made anew when missing, about to expire, or not
 * covering this machine's current addresses (a new DHCP lease): then each device accepts it once more.
 * @returns {Promise<{ key: string, cert: string, fingerprint: string, created: boolean }>}
 */
export async function loadCertificate(dir, names = certificateNames()) {
  const cached = readCached(dir, names);
  if (cached) return cached;
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + VALID_DAYS * 24 * 3600 * 1000);
  const pems = await generate([{ name: "commonName", value: "meshmeet demo" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [...names.dns.map((value) => ({ type: 2, value })), ...names.ips.map((ip) => ({ type: 7, ip }))],
      },
    ],
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "key.pem"), pems.private, { mode: 0o600 });
  writeFileSync(join(dir, "cert.pem"), pems.cert);
  return { key: pems.private, cert: pems.cert, fingerprint: new X509Certificate(pems.cert).fingerprint256, created: true };
}
