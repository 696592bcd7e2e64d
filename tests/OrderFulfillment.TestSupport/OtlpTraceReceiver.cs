using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OrderFulfillment.TestSupport;

/// <summary>One span as the services exported it: ids in hex, as W3C writes them.</summary>
public sealed record ReceivedSpan(string Service, string Scope, string Name, string TraceId, string SpanId, string? ParentSpanId)
{
    public override string ToString() => $"{Service} [{Scope}] {Name} trace {TraceId} span {SpanId} parent {ParentSpanId ?? "-"}";
}

/// <summary>
/// An OTLP/HTTP trace receiver on a free loopback port (<c>POST /v1/traces</c>, protobuf): point a service at it with
/// <c>Telemetry__Exporter=otlp</c>, <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c> and <see cref="Endpoint"/> as
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>. It reads only what a trace test needs of each span: service, scope, name and ids.
/// </summary>
public sealed class OtlpTraceReceiver : IAsyncDisposable
{
    readonly HttpListener _listener = new();
    readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    readonly Task _loop;

    public OtlpTraceReceiver()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ReceiveAsync);
    }

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";
    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    /// <summary>The environment that makes a service export its traces here, soon after each span ends.</summary>
    public void Configure(IDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        environment["Telemetry__Exporter"] = "otlp";
        environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint;
        environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        environment["OTEL_BSP_SCHEDULE_DELAY"] = "200";
    }

    async Task ReceiveAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            foreach (var span in ReadExportRequest(body.ToArray()))
                _spans.Enqueue(span);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    // opentelemetry/proto/collector/trace/v1: ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1 }
    static IEnumerable<ReceivedSpan> ReadExportRequest(byte[] request)
    {
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1)
                continue;
            // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2 }
            var service = "";
            var scopes = new List<byte[]>();
            foreach (var (f, value) in Fields(resourceSpans))
            {
                if (f == 1)
                    service = Attribute(value, "service.name") ?? "";
                else if (f == 2)
                    scopes.Add(value);
            }

            foreach (var scopeSpans in scopes)
            {
                // ScopeSpans { InstrumentationScope scope = 1 (name = 1); repeated Span spans = 2 }
                var scope = "";
                foreach (var (f, value) in Fields(scopeSpans))
                {
                    if (f == 1)
                        scope = Fields(value).Where(x => x.Field == 1).Select(x => Encoding.UTF8.GetString(x.Value)).FirstOrDefault() ?? "";
                    else if (f == 2)
                        yield return ReadSpan(service, scope, value);
                }
            }
        }
    }

    // Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; ... }
    static ReceivedSpan ReadSpan(string service, string scope, byte[] span)
    {
        string traceId = "", spanId = "", name = "";
        string? parent = null;
        foreach (var (field, value) in Fields(span))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value); break;
                case 2: spanId = Convert.ToHexStringLower(value); break;
                case 4 when value.Length > 0: parent = Convert.ToHexStringLower(value); break;
                case 5: name = Encoding.UTF8.GetString(value); break;
            }
        }

        return new ReceivedSpan(service, scope, name, traceId, spanId, parent);
    }

    // Resource { repeated KeyValue attributes = 1 }, KeyValue { string key = 1; AnyValue value = 2 (string_value = 1) }
    static string? Attribute(byte[] resource, string key) =>
        Fields(resource).Where(x => x.Field == 1).Select(x => Fields(x.Value).ToList())
            .Where(kv => kv.Any(f => f.Field == 1 && Encoding.UTF8.GetString(f.Value) == key))
            .SelectMany(kv => kv.Where(f => f.Field == 2).SelectMany(f => Fields(f.Value)).Where(f => f.Field == 1))
            .Select(f => Encoding.UTF8.GetString(f.Value)).FirstOrDefault();

    /// <summary>The length-delimited fields of a protobuf message (numbers and fixed-size fields are skipped).</summary>
    static IEnumerable<(int Field, byte[] Value)> Fields(byte[] message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var key = Varint(message, ref position);
            var field = (int)(key >> 3);
            switch ((int)(key & 7))
            {
                case 0: Varint(message, ref position); break;
                case 1: position += 8; break;
                case 5: position += 4; break;
                case 2:
                    var length = (int)Varint(message, ref position);
                    yield return (field, message[position..(position + length)]);
                    position += length;
                    break;
                default: throw new InvalidDataException($"protobuf wire type {key & 7} at {position}");
            }
        }
    }

    static ulong Varint(byte[] data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
