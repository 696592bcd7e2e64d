using System.Reflection;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OrderFulfillment.Persistence;

/// <summary>
/// Stores a list property as one <c>jsonb</c> column (lines, history, timeline: read and written whole).
/// </summary>
/// <remarks>
/// The elements must be flat (every property a value type or a string) and should be records, so that two equal
/// elements compare equal. Change tracking then copies each element's fields for its snapshot and compares element by
/// element, instead of a JSON round trip per column per row loaded, which profiling showed to be the largest cost of
/// loading a saga.
/// </remarks>
public static class JsonColumn
{
    static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static PropertyBuilder<List<T>> HasJsonColumn<T>(this PropertyBuilder<List<T>> property, string columnName)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(property);
        property.HasColumnName(columnName).HasColumnType("jsonb").HasConversion(
            value => JsonSerializer.Serialize(value, Options),
            json => JsonSerializer.Deserialize<List<T>>(json, Options) ?? new List<T>(),
            new ValueComparer<List<T>>(
                (left, right) => FlatElements<T>.Equal(left, right),
                value => FlatElements<T>.Hash(value),
                value => FlatElements<T>.Snapshot(value)));
        return property;
    }

    static class FlatElements<T>
        where T : class
    {
        static readonly Func<object, object> Copy = CreateCopy();

        public static bool Equal(List<T>? left, List<T>? right) =>
            ReferenceEquals(left, right) || (left is not null && right is not null && left.SequenceEqual(right));

        public static int Hash(List<T> value)
        {
            var hash = new HashCode();
            foreach (var element in value)
                hash.Add(element);
            return hash.ToHashCode();
        }

        public static List<T> Snapshot(List<T> value) => value.ConvertAll(element => (T)Copy(element));

        static Func<object, object> CreateCopy()
        {
            var nested = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => !p.PropertyType.IsValueType && p.PropertyType != typeof(string))
                .Select(p => p.Name)
                .ToList();
            if (nested.Count > 0)
                throw new InvalidOperationException(
                    $"{typeof(T).Name} cannot be a JSON column element: {string.Join(", ", nested)} would be shared between the entity and its change-tracking snapshot. Use only value types and strings.");
            var memberwiseClone = typeof(object).GetMethod("MemberwiseClone", BindingFlags.NonPublic | BindingFlags.Instance)!;
            return memberwiseClone.CreateDelegate<Func<object, object>>();
        }
    }
}
