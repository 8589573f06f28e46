using System.Threading.Channels;
using PushHub.Storage;

namespace PushHub.Webhooks;

internal sealed partial class WebhookDispatcher
{
    // Enough for every attempt this dispatcher may have in flight (MaxConcurrentDeliveries' default).
    private const int MaxOutcomesPerCall = 256;

    // Finished attempts' outcomes, recorded by one loop with one store call per batch (issue #15): while a call is in
    // flight the next batch gathers, as the SQLite writer's group commit does, so a lone outcome waits for nothing.
    private readonly Channel<PendingOutcome> _outcomes = Channel.CreateUnbounded<PendingOutcome>(new UnboundedChannelOptions { SingleReader = true });
    private Task _recording = Task.CompletedTask;

    /// <summary>Records an outcome with the others that finish meanwhile; answers whether its claim still held.</summary>
    private Task<bool> RecordAsync(DeliveryOutcome outcome)
    {
        var pending = new PendingOutcome(outcome);
        // After the recorder stopped (the hub is stopping and a straggler finished late), on its own.
        return _outcomes.Writer.TryWrite(pending)
            ? pending.Held.Task
            : store.ResolveAsync(outcome.Delivery, outcome.Attempt, outcome.Resolution, CancellationToken.None);
    }

    private void StartRecording() => _recording = Task.Run(RecordOutcomesAsync);

    /// <summary>Stops taking outcomes once the last attempt is done, and waits for the ones taken to be recorded.</summary>
    private Task StopRecordingAsync(CancellationToken cancellationToken)
    {
        _outcomes.Writer.TryComplete();
        return _recording.WaitAsync(cancellationToken);
    }

    private async Task RecordOutcomesAsync()
    {
        var batch = new List<PendingOutcome>();
        var outcomes = new List<DeliveryOutcome>();
        // Not the stopping token: an attempt that was made is recorded even while the hub stops.
        while (await _outcomes.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxOutcomesPerCall && _outcomes.Reader.TryRead(out var next))
            {
                batch.Add(next);
                outcomes.Add(next.Outcome);
            }
            try
            {
                var held = await store.ResolveManyAsync(outcomes, CancellationToken.None);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Held.TrySetResult(held[i]);
                }
            }
            catch (Exception) when (batch.Count > 1)
            {
                // One outcome the store refuses must not fail the others: each again on its own, so that only its
                // own attempt sees the failure (and leaves its claim to run out, as before).
                foreach (var pending in batch)
                {
                    await RecordAloneAsync(pending);
                }
            }
            catch (Exception exception)
            {
                batch[0].Held.TrySetException(exception);
            }
            batch.Clear();
            outcomes.Clear();
        }
    }

    private async Task RecordAloneAsync(PendingOutcome pending)
    {
        try
        {
            var (delivery, attempt, resolution) = pending.Outcome;
            pending.Held.TrySetResult(await store.ResolveAsync(delivery, attempt, resolution, CancellationToken.None));
        }
        catch (Exception exception)
        {
            pending.Held.TrySetException(exception);
        }
    }

    private sealed class PendingOutcome(DeliveryOutcome outcome)
    {
        public DeliveryOutcome Outcome { get; } = outcome;

        // Asynchronous continuations: the attempts carry on off the recording loop.
        public TaskCompletionSource<bool> Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
