import http from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

/** One received span, the same whichever protocol carried it (ids as lowercase hex). */
export interface ReceivedSpan {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  links: { traceId: string; spanId: string }[];
  attributes: Record<string, unknown>;
  /** How it arrived: 'http/protobuf' or 'http/json'. */
  protocol: string;
}

// The part of OTLP's trace protos this receiver reads (opentelemetry-proto, trace/v1 and
// collector/trace/v1); field numbers as the specification gives them. Fields left out are skipped.
const OTLP_TRACES_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { repeated Span spans = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  repeated KeyValue attributes = 9; repeated Link links = 13;
}
message Link { bytes trace_id = 1; bytes span_id = 2; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; }
}
`;
const ExportRequest = protobuf.parse(OTLP_TRACES_PROTO, { keepCase: false }).root.lookupType('otlp.ExportTraceServiceRequest');

interface OtlpKeyValue {
  key: string;
  value?: { stringValue?: string; boolValue?: boolean; intValue?: number | string; doubleValue?: number };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: OtlpKeyValue[];
  links?: { traceId: string; spanId: string }[];
}
interface OtlpRequest {
  resourceSpans?: { resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

const valueOf = (kv: OtlpKeyValue): unknown => {
  const value = kv.value ?? {};
  return value.stringValue ?? value.boolValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.doubleValue);
};
const attributesOf = (list: OtlpKeyValue[] = []) => Object.fromEntries(list.map((kv) => [kv.key, valueOf(kv)]));

const fromHex = (id: string) => id.toLowerCase();
const fromBase64 = (id: string) => Buffer.from(id, 'base64').toString('hex');

function spansOf(request: OtlpRequest, protocol: string, hex: (id: string) => string): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const name = attributesOf(resourceSpans.resource?.attributes)['service.name'];
    const service = typeof name === 'string' ? name : '';
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service,
        name: span.name,
        kind: span.kind ?? 0,
        traceId: hex(span.traceId),
        spanId: hex(span.spanId),
        parentSpanId: hex(span.parentSpanId ?? ''),
        links: (span.links ?? []).map((link) => ({ traceId: hex(link.traceId), spanId: hex(link.spanId) })),
        attributes: attributesOf(span.attributes),
        protocol,
      })),
    );
  });
}

/**
 * A real OTLP/HTTP trace receiver, as a collector or Jaeger would run one: POST /v1/traces with
 * `application/x-protobuf` (http/protobuf) or `application/json` (http/json) bodies.
 */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const body = Buffer.concat(chunks);
      const type = req.headers['content-type'] ?? '';
      try {
        if (type.startsWith('application/x-protobuf')) {
          const decoded = ExportRequest.toObject(ExportRequest.decode(body), { bytes: String, longs: Number }) as OtlpRequest;
          spans.push(...spansOf(decoded, 'http/protobuf', fromBase64));
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        } else if (type.startsWith('application/json')) {
          spans.push(...spansOf(JSON.parse(body.toString('utf8')) as OtlpRequest, 'http/json', fromHex));
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } else {
          res.writeHead(415).end();
        }
      } catch (error) {
        res.writeHead(400).end((error as Error).message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
