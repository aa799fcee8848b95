import { context, metrics, trace, type Attributes, type HrTime } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { DataPointType, MeterProvider, MetricReader, type Histogram } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach } from 'vitest';

/** A finished span in plain values; times in ms on the test's clock, `parent` by name. */
export interface SpanRecord {
  name: string;
  parent: string | undefined;
  start: number;
  end: number;
  attributes: Attributes;
  status: { code: number; message?: string };
  events: { name: string; time: number; attributes: Attributes | undefined }[];
}

/** One metric point: a counter's value, or a histogram's count and sum. */
export interface PointRecord {
  metric: string;
  unit: string;
  attributes: Attributes;
  value: number | { count: number; sum: number | undefined };
}

/** Collects on demand, as a Prometheus scrape would. */
class CollectingReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

const milliseconds = ([seconds, nanos]: HrTime): number => seconds * 1000 + nanos / 1e6;

export interface RegisteredOpenTelemetry {
  spans(): SpanRecord[];
  points(): Promise<PointRecord[]>;
}

/**
 * Registers the real SDK (tracer provider, meter provider, async-hooks context manager) before
 * each test of the calling file and unregisters it after, as an application would at start-up.
 * `wrapExporter` puts an exporter in front of the in-memory one, to test an exporter that fails.
 */
export function useOpenTelemetryPerTest(options: { wrapExporter?: (inMemory: SpanExporter) => SpanExporter } = {}): RegisteredOpenTelemetry {
  let exporter: InMemorySpanExporter;
  let reader: CollectingReader;
  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    reader = new CollectingReader();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(options.wrapExporter?.(exporter) ?? exporter)] }));
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  });
  afterEach(() => {
    trace.disable();
    metrics.disable();
    context.disable();
  });
  return { spans: () => spanRecords(exporter.getFinishedSpans()), points: async () => pointRecords(reader) };
}

function spanRecords(spans: readonly ReadableSpan[]): SpanRecord[] {
  const names = new Map(spans.map((span) => [span.spanContext().spanId, span.name]));
  return spans.map((span) => ({
    name: span.name,
    parent: span.parentSpanContext === undefined ? undefined : (names.get(span.parentSpanContext.spanId) ?? '(outside)'),
    start: milliseconds(span.startTime),
    end: milliseconds(span.endTime),
    attributes: span.attributes,
    status: span.status,
    events: span.events.map((event) => ({ name: event.name, time: milliseconds(event.time), attributes: event.attributes })),
  }));
}

async function pointRecords(reader: CollectingReader): Promise<PointRecord[]> {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw errors[0];
  return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.flatMap((metric) => metric.dataPoints.map((point) => ({
    metric: `${scope.scope.name}/${metric.descriptor.name}`,
    unit: metric.descriptor.unit,
    attributes: point.attributes,
    value: metric.dataPointType === DataPointType.HISTOGRAM
      ? { count: (point.value as Histogram).count, sum: (point.value as Histogram).sum }
      : point.value as number,
  }))));
}
