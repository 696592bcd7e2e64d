using System.Diagnostics;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace OrderFulfillment.Benchmarks;

/// <summary>
/// The machine's ceilings, measured in the same run: PostgreSQL commits/s of one-row UPDATE transactions, and
/// RabbitMQ's persistent publish rate with confirms and consume rate with manual acks (fanout exchange → durable queue).
/// </summary>
public static class Ceilings
{
    public const string Section = "1 ceilings";

    public static async Task RunAsync(BenchOptions options, Report report)
    {
        await using (var scope = await RunScope.CreateAsync("ceil", options.Keep))
        {
            var connectionString = await scope.CreateDatabaseAsync("pg");
            await Infra.ExecuteAsync(connectionString,
                "CREATE TABLE ceiling (id int PRIMARY KEY, v bigint NOT NULL); INSERT INTO ceiling SELECT g, 0 FROM generate_series(1, 1024) g");
            var duration = TimeSpan.FromSeconds(options.CeilingSeconds);
            var eight = await PostgresCommitsAsync(connectionString, 8, duration);
            // Npgsql's default (SSL Mode=Prefer) encrypts when the server offers TLS, as Debian's PostgreSQL does: every
            // figure of the run pays for it, the services' too. ConnectionStrings__Postgres="...;SSL Mode=Disable" turns it off.
            report.Add(Section, "PostgreSQL commits/s, 1-row UPDATE tx, 8 connections", eight, "commits/s",
                note: await UsesTlsAsync(connectionString) ? "connections use TLS (SSL Mode=Prefer, server offers it)" : "connections without TLS");
            var one = await PostgresCommitsAsync(connectionString, 1, duration);
            report.Add(Section, "PostgreSQL commits/s, 1-row UPDATE tx, 1 connection", one, "commits/s");

            var (publishWindow, publishOne, consume) = await RabbitAsync(scope.VirtualHost, options.RabbitMessages);
            report.Add(Section, "RabbitMQ persistent publish, confirms, 256 in flight", publishWindow, "msg/s", note: $"{options.RabbitMessages:N0} msgs, 300 B, fanout → durable queue");
            report.Add(Section, "RabbitMQ persistent publish, confirms, 1 in flight", publishOne, "msg/s", note: "each publish awaits its confirm");
            report.Add(Section, "RabbitMQ consume, manual ack per message (prefetch 256)", consume, "msg/s");
        }
    }

    static async Task<bool> UsesTlsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", connection);
        return await command.ExecuteScalarAsync() is true;
    }

    /// <summary>Each connection updates rows of its own (no lock waits): BEGIN; UPDATE one row; COMMIT, as fast as it can.</summary>
    static async Task<double> PostgresCommitsAsync(string connectionString, int connections, TimeSpan duration)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, NoResetOnClose = true };
        long commits = 0;
        using var stop = new CancellationTokenSource();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var stopwatch = new Stopwatch();

        async Task Worker(int index)
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("UPDATE ceiling SET v = v + 1 WHERE id = $1", connection);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 0 });
            await command.PrepareAsync();
            if (Interlocked.Increment(ref started) == connections)
                ready.TrySetResult();
            await ready.Task;
            var random = new Random(index);
            while (!stop.IsCancellationRequested)
            {
                await using var transaction = await connection.BeginTransactionAsync();
                command.Transaction = transaction;
                ((NpgsqlParameter<int>)command.Parameters[0]).TypedValue = index * 128 + random.Next(1, 128);
                await command.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
                Interlocked.Increment(ref commits);
            }
        }

        var workers = Enumerable.Range(0, connections).Select(Worker).ToArray();
        await ready.Task;
        stopwatch.Start();
        stop.CancelAfter(duration);
        await Task.WhenAll(workers);
        return Interlocked.Read(ref commits) / stopwatch.Elapsed.TotalSeconds;
    }

    static async Task<(double PublishWindow, double PublishOne, double Consume)> RabbitAsync(string vhost, int messages)
    {
        await using var connection = await Infra.ConnectAsync(vhost, "bench-ceiling");
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await channel.ExchangeDeclareAsync("ceiling", ExchangeType.Fanout, durable: true);
        await channel.QueueDeclareAsync("ceiling", durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync("ceiling", "ceiling", "");
        var body = new byte[300];
        Array.Fill(body, (byte)'x');
        var properties = new BasicProperties { DeliveryMode = DeliveryModes.Persistent, ContentType = "application/json" };

        // Windowed: up to 256 publishes awaiting their confirms.
        var window = new SemaphoreSlim(256);
        var pending = new List<Task>(messages);
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < messages; i++)
        {
            await window.WaitAsync();
            pending.Add(PublishAsync());
        }

        await Task.WhenAll(pending);
        var publishWindow = messages / stopwatch.Elapsed.TotalSeconds;

        // One at a time: the confirm round trip (fsync of the queue) bounds it.
        var single = Math.Max(200, messages / 15);
        stopwatch.Restart();
        for (var i = 0; i < single; i++)
            await channel.BasicPublishAsync("ceiling", "", true, properties, body);
        var publishOne = single / stopwatch.Elapsed.TotalSeconds;

        // Consume everything published, acknowledging each message.
        var total = messages + single;
        await using var consumerChannel = await connection.CreateChannelAsync();
        await consumerChannel.BasicQosAsync(0, 256, false);
        var received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(consumerChannel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            await consumerChannel.BasicAckAsync(delivery.DeliveryTag, false);
            if (++received == total)
                done.TrySetResult();
        };
        stopwatch.Restart();
        await consumerChannel.BasicConsumeAsync("ceiling", false, consumer);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        var consume = total / stopwatch.Elapsed.TotalSeconds;
        return (publishWindow, publishOne, consume);

        async Task PublishAsync()
        {
            try
            {
                await channel.BasicPublishAsync("ceiling", "", true, properties, body);
            }
            finally
            {
                window.Release();
            }
        }
    }
}
