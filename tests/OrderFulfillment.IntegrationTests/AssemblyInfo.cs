// Some tests stop and start the shared broker and database: the integration tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
